"""Export directories as an operator sees them: readable by another user (0755/0644 under the
usual umask), no litter from killed exports, versions never overwritten, a corrupt file fails
its check in ``verify`` instead of stopping it."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import warnings

import pytest

from keras_zoo.export import savedmodel


def _write(tmp):
    os.makedirs(os.path.join(tmp, "variables"))
    for name in ("saved_model.pb", os.path.join("variables", "variables.index")):
        with open(os.path.join(tmp, name), "w") as f:
            f.write("x")


@pytest.fixture
def root():
    # Not under pytest's tmp_path: its base directory is 0700, so no other user could enter it.
    folder = tempfile.mkdtemp(prefix="kz-export-")
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_exports_are_0755_0644_under_the_usual_umask(root, usual_umask):
    target = savedmodel.write_atomically(os.path.join(root, "m", "1"), _write)
    for folder, _, files in os.walk(target):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o755, folder
        for f in files:
            assert stat.S_IMODE(os.stat(os.path.join(folder, f)).st_mode) == 0o644, f


def _other_user():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_another_user_reads_an_export(root, usual_umask):
    """Reads every file of an export as ``nobody`` (when run as root with setpriv), else
    checks the permission bits another user relies on."""
    target = savedmodel.write_atomically(os.path.join(root, "m", "1"), _write)
    as_nobody = _other_user()
    if as_nobody is None:
        for folder, _, files in os.walk(target):
            assert os.stat(folder).st_mode & stat.S_IROTH and os.stat(folder).st_mode & stat.S_IXOTH
            for f in files:
                assert os.stat(os.path.join(folder, f)).st_mode & stat.S_IROTH
        return
    code = ("import os, sys\n"
            "n = 0\n"
            "for folder, _, files in os.walk(sys.argv[1], onerror=lambda e: sys.exit(str(e))):\n"
            "    for f in files:\n"
            "        open(os.path.join(folder, f), 'rb').read(); n += 1\n"
            "print(n)\n")
    done = subprocess.run(as_nobody + [sys.executable, "-I", "-c", code, target],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"


def test_a_killed_exports_temporary_directory_is_removed_by_the_next_export(root):
    parent = os.path.join(root, "m")
    os.makedirs(parent)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = os.path.join(parent, os.path.basename(
        savedmodel._tmp_prefix(os.path.join(parent, "1"))).replace(
            f"-{os.getpid()}-", f"-{dead.pid}-") + "abc123")
    os.makedirs(orphan)
    legacy = os.path.join(parent, ".1.tmp-k2j_3x")  # no writer named: may still be running
    os.makedirs(legacy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        savedmodel.write_atomically(os.path.join(parent, "1"), _write)
    assert not os.path.exists(orphan)
    assert os.path.exists(legacy) and any(legacy in str(w.message) for w in caught)
    assert sorted(os.listdir(parent)) == [".1.tmp-k2j_3x", "1"]


def test_a_failed_export_leaves_nothing_and_a_version_is_never_overwritten(root):
    target = os.path.join(root, "m", "1")

    def crash(tmp):
        _write(tmp)
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        savedmodel.write_atomically(target, crash)
    assert os.listdir(os.path.join(root, "m")) == []
    savedmodel.write_atomically(target, _write)
    with pytest.raises(FileExistsError, match="never overwritten"):
        savedmodel.write_atomically(target, _write)
