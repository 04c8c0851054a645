"""DiscoGAN (Kim et al. 2017, "Learning to Discover Cross-Domain Relations with Generative
Adversarial Networks"): two generators G_AB, G_BA and two discriminators D_A, D_B; each
generator's loss is the GAN loss (cross-entropy) plus the reconstruction distance
d(G_BA(G_AB(x_A)), x_A) with d the squared error (section 3.2, equations 3-5), no identity term.
The networks are the paper's: a convolutional encoder-decoder generator and a DCGAN-style
discriminator with one logit per image. The training loop is CycleGAN's (same structure,
other losses): ``CycleGANModel`` with cross-entropy, L2 reconstruction, weight 1.
"""

from __future__ import annotations

from keras_zoo.blocks.gan import dcgan_discriminator, encoder_decoder_generator
from keras_zoo.models.generative.cyclegan import CycleGANModel
from keras_zoo.models.registry import register

PAPER = ("Kim et al., Learning to Discover Cross-Domain Relations with Generative Adversarial "
         "Networks, ICML 2017")


def DiscoGAN(image_shape=(64, 64, 3), generator_filters=(64, 128, 256, 512),
             discriminator_filters=(64, 128, 256, 512), reconstruction_weight=1.0, seed=None,
             name="discogan"):
    """DiscoGAN at the paper's 64x64.

    Args:
        image_shape: ``(H, W, C)`` of both domains.
        generator_filters: encoder channels (the decoder mirrors them).
        discriminator_filters: discriminator channels.
        reconstruction_weight: weight of the reconstruction distance (1 in the paper).
        seed: kept for config.
        name: model name.
    """
    def generator(n):
        return encoder_decoder_generator(image_shape, generator_filters, name=n)

    def discriminator(n):
        return dcgan_discriminator(image_shape, discriminator_filters, name=n)

    return CycleGANModel(generator("generator_ab"), generator("generator_ba"),
                         discriminator("discriminator_b"), discriminator("discriminator_a"),
                         cycle_weight=reconstruction_weight, identity_weight=0.0,
                         adversarial_loss="cross_entropy", cycle_distance="l2", seed=seed,
                         name=name)


register("discogan", task="generative", family="gan",
         tiny=dict(image_shape=(16, 16, 3), generator_filters=(8, 16),
                   discriminator_filters=(8, 16)),
         canonical=dict(image_shape=(64, 64, 3)),
         data="domains/red_to_blue_unpaired", recipe="cyclegan", paper=PAPER)(DiscoGAN)
