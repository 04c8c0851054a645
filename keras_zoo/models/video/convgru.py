"""ConvGRU for next-frame prediction: ConvLSTM's encoder with the convolutional GRU (Ballas,
Yao, Pal & Courville, Delving Deeper into Convolutional Networks for Learning Video
Representations, ICLR 2016)."""


from keras_zoo.layers.conv_gru_2d import ConvGRU2D
from keras_zoo.models.registry import register
from keras_zoo.models.video.convlstm import next_frame_model

PAPER = "Ballas, Yao, Pal & Courville, ICLR 2016"


def ConvGRU(
    filters=(64, 64),
    kernel_size=5,
    input_shape=(10, 64, 64, 1),
    name="convgru",
):
    """Stacked ConvGRU layers over the frames (each layer's input is the layer below's hidden
    state sequence, as the paper stacks them), each step's hidden maps turned into the next
    frame by a 1x1 convolution with a sigmoid.

    Args:
        filters: hidden channels of each ConvGRU layer.
        kernel_size: the input-to-state and state-to-state kernels.
        input_shape: ``(T, H, W, C)`` of the input frames.
        name: the model's name.
    """
    return next_frame_model(
        lambda f, i: ConvGRU2D(f, kernel_size, return_sequences=True, name=f"convgru{i}"),
        filters, input_shape, name)

register(
    "convgru",
    task="next_frame",
    family="convlstm",
    tiny=dict(filters=(8,), kernel_size=3, input_shape=(4, 16, 16, 1)),
    canonical=dict(input_shape=(10, 64, 64, 1)),
    data="moving_shapes",
    recipe="next_frame_convgru",
    paper=PAPER,
    notes="Same encoder as convlstm with keras_zoo.layers.ConvGRU2D (three gates' worth of "
          "weights instead of four).",
)(ConvGRU)
