"""Worked examples of the lecture notes that had no test yet, each checked against a built model
or an independent NumPy computation of the formula the notes give (corrected where the notes are
wrong, the correction stated in the test)."""

import math

import keras
import numpy as np
import pytest

import keras_zoo
from tests.deferred import deferred_weights

# --- receptive field of stacked 3x3 convolutions (VGG: "smaller filters, deeper network") ----

def _receptive_field(depth, size=17):
    """The side of the input region that moves the centre output of ``depth`` stacked 3x3
    convolutions: found from the gradient of a built model, not from the formula."""
    inputs = keras.Input((size, size, 1))
    x = inputs
    for _ in range(depth):
        x = keras.layers.Conv2D(1, 3, padding="same", use_bias=False,
                                kernel_initializer="ones")(x)
    model = keras.Model(inputs, x)
    import tensorflow as tf

    image = tf.ones((1, size, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        centre = model(image)[0, size // 2, size // 2, 0]
    grad = tape.gradient(centre, image).numpy()[0, :, :, 0]
    rows, cols = np.nonzero(grad)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("depth, side", [(1, 3), (2, 5), (3, 7)])
def test_stacked_3x3_convolutions_see_5x5_and_7x7(depth, side):
    assert _receptive_field(depth) == (side, side)


def test_two_3x3_convolutions_cost_less_than_one_5x5():
    # Simonyan & Zisserman 2015, section 2.3: C channels in and out, no biases: 2*9C^2 vs 25C^2.
    c = 64
    stacked = keras.Sequential([keras.Input((32, 32, c)),
                                keras.layers.Conv2D(c, 3, use_bias=False),
                                keras.layers.Conv2D(c, 3, use_bias=False)])
    single = keras.Sequential([keras.Input((32, 32, c)),
                               keras.layers.Conv2D(c, 5, use_bias=False)])
    assert stacked.count_params() == 18 * c * c < single.count_params() == 25 * c * c


# --- BatchNorm's parameters ---------------------------------------------------------------------

@pytest.mark.parametrize("d", [1, 16, 512])
def test_batchnorm_has_4d_parameters_2d_trainable(d):
    layer = keras.layers.BatchNormalization()
    layer.build((None, d))
    # gamma, beta (learned) and the moving mean and variance (statistics): 4*d in all.
    assert layer.count_params() == 4 * d
    assert sum(int(np.prod(w.shape)) for w in layer.trainable_weights) == 2 * d


# --- perplexity = 2^(c * BPC) (Graves 2013, Table 1) ---------------------------------------------

#: (BPC, perplexity) of the character-level rows of Graves (2013), "Generating sequences with
#: recurrent neural networks", Table 1 (Penn Treebank test set).
GRAVES_CHAR_ROWS = [(1.32, 167), (1.29, 148), (1.27, 140), (1.24, 124), (1.26, 133), (1.24, 122)]


def test_perplexity_is_two_to_the_c_times_bpc_on_graves_table():
    # c, the mean characters per word, is one number for the whole table: solve it from the
    # first row, then every row's perplexity must follow from its BPC (printed to two
    # decimals, so within half a unit of the last digit).
    bpc0, ppl0 = GRAVES_CHAR_ROWS[0]
    c = math.log2(ppl0) / bpc0
    assert 5.5 < c < 5.7  # Penn Treebank: about 5.6 characters per word, the space included
    for bpc, ppl in GRAVES_CHAR_ROWS:
        low, high = 2 ** (c * (bpc - 0.005)), 2 ** (c * (bpc + 0.005))
        assert low - 0.5 <= ppl <= high + 0.5, (bpc, ppl, low, high)


def test_perplexity_of_a_character_model_from_its_cross_entropy():
    # The same identity on a model's output: a uniform distribution over V characters has
    # BPC = log2 V, and with c characters per word the word perplexity is V^c.
    v, c = 27, 5.6
    probs = np.full((100, v), 1.0 / v)
    targets = np.arange(100) % v
    nats = float(keras.losses.sparse_categorical_crossentropy(targets, probs).numpy().mean())
    bpc = nats / math.log(2)
    assert bpc == pytest.approx(math.log2(v), rel=1e-6)
    assert 2 ** (c * bpc) == pytest.approx(v ** c, rel=1e-5)


# --- one LSTM and one GRU step against the notes' equations -------------------------------------

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_lstm_step_equals_the_notes_equations():
    m, n = 3, 4
    rng = np.random.default_rng(0)
    layer = keras.layers.LSTM(n, return_state=True)
    x = rng.normal(size=(2, 1, m)).astype("float32")
    h0 = rng.normal(size=(2, n)).astype("float32")
    c0 = rng.normal(size=(2, n)).astype("float32")
    out, h1, c1 = (t.numpy() for t in layer(x, initial_state=[h0, c0]))
    w, u, b = (v.numpy() for v in layer.weights)  # Keras' gate order: i, f, c, o
    z = x[:, 0] @ w + h0 @ u + b
    i, f, c_tilde, o = (z[:, k * n:(k + 1) * n] for k in range(4))
    f_t, i_t, o_t = _sigmoid(f), _sigmoid(i), _sigmoid(o)
    c_t = f_t * c0 + i_t * np.tanh(c_tilde)      # C_t = f_t * C_{t-1} + i_t * C~_t
    h_t = o_t * np.tanh(c_t)                      # h_t = o_t * tanh(C_t)
    np.testing.assert_allclose(c1, c_t, atol=1e-5)
    np.testing.assert_allclose(h1, h_t, atol=1e-5)
    np.testing.assert_allclose(out, h_t, atol=1e-5)


def test_gru_step_equals_the_notes_equations_without_the_sigmoid():
    # The notes write h_t = sigmoid(z_t * c_t + (1 - z_t) * h_{t-1}); Cho et al. (2014) have
    # no sigmoid there (ERRATA). Keras also gives z the other role, h_t = z*h_{t-1} + (1-z)*c_t,
    # so the notes' z is Keras' 1 - z. With r applied after U h (reset_after=True), the notes'
    # c_t = tanh(W^c x_t + r_t * U^c h_{t-1}) is Keras' candidate.
    m, n = 3, 4
    rng = np.random.default_rng(1)
    layer = keras.layers.GRU(n, return_state=True)
    x = rng.normal(size=(2, 1, m)).astype("float32")
    h0 = rng.normal(size=(2, n)).astype("float32")
    _, h1 = (t.numpy() for t in layer(x, initial_state=h0))
    w, u, b = (v.numpy() for v in layer.weights)  # gate order z, r, h; b: input and recurrent
    bx, bh = b
    xw, hu = x[:, 0] @ w + bx, h0 @ u + bh
    z_keras = _sigmoid(xw[:, :n] + hu[:, :n])
    r = _sigmoid(xw[:, n:2 * n] + hu[:, n:2 * n])
    c = np.tanh(xw[:, 2 * n:] + r * hu[:, 2 * n:])
    z_notes = 1.0 - z_keras
    h_notes = z_notes * c + (1.0 - z_notes) * h0            # the notes' update, no sigmoid
    np.testing.assert_allclose(h1, h_notes, atol=1e-5)
    with_sigmoid = _sigmoid(h_notes)                          # the notes as printed
    assert np.max(np.abs(h1 - with_sigmoid)) > 0.05


# --- AlexNet's neurons, layer by layer ----------------------------------------------------------

def test_alexnet_neuron_counts_of_every_layer():
    # Krizhevsky et al. 2012, section 3.5: 150,528-dimensional input, then 253,440 - 186,624 -
    # 64,896 - 64,896 - 43,264 - 4096 - 4096 - 1000 neurons. The first figure does not recompute:
    # 55*55*96 is 290,400 (ERRATA), and 150,528 is 224*224*3 while 55x55 needs a 227 input.
    with deferred_weights():  # shapes only
        model = keras_zoo.models.get("alexnet")
    counts = [int(np.prod(model.get_layer(f"conv{i}").output.shape[1:])) for i in range(1, 6)]
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    counts += [layer.units for layer in dense]
    assert counts == [290_400, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000]
    assert 224 * 224 * 3 == 150_528 and int(np.prod(model.input_shape[1:])) == 227 * 227 * 3


# --- ViT-L/16 and ViT-H/14 against the notes' 307M and 632M -------------------------------------

def vit_parameters(patch, layers, width, mlp, image=224, classes=1000, channels=3):
    """Parameters of the zoo's ViT (pre-norm encoder, class token, learned 1-D position
    embedding, final LayerNorm, linear head on the class token), by formula."""
    tokens = (image // patch) ** 2 + 1
    embedding = patch * patch * channels * width + width + width + tokens * width
    block = (4 * (width * width + width)            # query, key, value, output projections
             + (width * mlp + mlp) + (mlp * width + width)
             + 2 * 2 * width)                       # two LayerNorms
    return embedding + layers * block + 2 * width + width * classes + classes


@pytest.mark.parametrize("patch, layers, width, mlp, image", [(4, 2, 32, 64, 32),
                                                              (8, 3, 48, 96, 32)])
def test_vit_formula_equals_the_built_model(patch, layers, width, mlp, image):
    model = keras_zoo.models.get("vit_b16", patch_size=patch, num_layers=layers, hidden_dim=width,
                                 num_heads=2, mlp_dim=mlp, input_shape=(image, image, 3),
                                 classes=10)
    assert model.count_params() == vit_parameters(patch, layers, width, mlp, image, 10)


def test_vit_large_and_huge_against_the_papers_table():
    # Dosovitskiy et al. 2021, Table 1: Base 86M, Large 307M, Huge 632M, one figure per size,
    # without a patch size. At 224 with a 1000-class head, B/16 is 86.6M and H/14 632.0M as the
    # table says, and the registry's canonical counts are these; L/16 is 304.3M, and the
    # table's 307M is what ViT-L/32 has (306.5M): the count depends on the patch size through
    # the 3*P^2*D embedding weights and the number of position embeddings.
    b16 = vit_parameters(16, 12, 768, 3072)
    l16 = vit_parameters(16, 24, 1024, 4096)
    l32 = vit_parameters(32, 24, 1024, 4096)
    h14 = vit_parameters(14, 32, 1280, 5120)
    assert b16 == keras_zoo.models.info("vit_b16").params == 86_567_656
    assert l16 == keras_zoo.models.info("vit_l16").params == 304_326_632
    assert h14 == keras_zoo.models.info("vit_h14").params == 632_045_800
    assert round(b16 / 1e6) == 87 and math.floor(b16 / 1e6) == 86
    assert round(h14 / 1e6) == 632
    assert round(l16 / 1e6) == 304 != 307
    assert round(l32 / 1e6) == 307
