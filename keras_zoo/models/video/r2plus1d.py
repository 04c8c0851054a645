"""R(2+1)D: a 3-D ResNet whose 3x3x3 convolutions are factorised into a 1x3x3 spatial and a
3x1x1 temporal convolution with BN and ReLU between them (Tran, Wang, Torresani, Ray, LeCun &
Paluri, A Closer Look at Spatiotemporal Convolutions for Action Recognition, CVPR 2018)."""

from keras_zoo.models.video import common
from keras_zoo.models.video.r3d import PAPER, TINY, ResNet3D


def R2Plus1D18(**kwargs):
    """R(2+1)D-18: R3D-18 with every t x d x d convolution factorised, its mid-channels
    M = floor(t d^2 N_in N_out / (d^2 N_in + t N_out)) (section 3.5) so that each factorised
    convolution has the 3-D one's parameters (up to the floor and the added BN).

    Args:
        **kwargs: any argument of ``keras_zoo.models.video.r3d.ResNet3D``.
    """
    return ResNet3D(**{"depth": 18, "kind": "2plus1d", "name": "r2plus1d_18", **kwargs})


# Its arguments are ResNet3D's (the registry refuses any other by name).
R2Plus1D18.__wrapped__ = ResNet3D


common.register_video(
    "r2plus1d_18",
    R2Plus1D18,
    family="resnet3d",
    tiny=TINY,
    canonical=dict(input_shape=(16, 112, 112, 3), classes=400),
    paper=PAPER,
    params=33_410_033,
    notes="Kinetics head (400 classes); the paper's Table 1 gives 33.3M. Mid-channels by the "
          "paper's rule everywhere, the stem included (torchvision fixes the stem's at 45).",
)
