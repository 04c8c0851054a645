"""``keras-zoo embed``: t-SNE PNG and retrieval figures; bad input is one line, exit 2."""

import os

from training import cli


def test_embed_writes_tsne_and_prints_retrieval(tmp_path, capsys):
    out = str(tmp_path / "tsne.png")
    code = cli.main(["embed", "triplet", "--data", "digits", "--classes", "7", "8", "9",
                     "-o", out])
    printed = capsys.readouterr().out
    assert code == 0
    assert "recall@1" in printed and "recall@5" in printed and "ndcg@10" in printed
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(out) > 1000
    code = cli.main(["embed", "triplet", "-o", out])  # never overwrites
    assert code == 2 and "exists" in capsys.readouterr().err


def test_embed_bad_data_is_one_line_exit_2(tmp_path, capsys):
    code = cli.main(["embed", "triplet", "--data", "imagenet", "-o", str(tmp_path / "x.png")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "imagenet" in err and "digits" in err
    assert not os.path.exists(tmp_path / "x.png")
