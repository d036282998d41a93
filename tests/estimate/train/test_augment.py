"""Batch augmentation: each transform, seeding, composition, and the training-only rule."""

from __future__ import annotations

import pytest
import torch

from hypernas.errors import ConfigError
from hypernas.estimate.train import (
    Augment,
    Cutout,
    HorizontalFlip,
    Normalize,
    RandomCrop,
    RandomGrayscale,
    Rotation,
    VerticalFlip,
    make_augment,
)


def batch(n=8, c=3, h=6, w=6):
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(1)) + 0.1


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_flips_with_p_one_and_zero():
    x = batch()
    assert torch.equal(HorizontalFlip(p=1)(x, gen()), x.flip(-1))
    assert torch.equal(VerticalFlip(p=1)(x, gen()), x.flip(-2))
    assert torch.equal(HorizontalFlip(p=0)(x, gen()), x)


def test_random_crop_shifts_content_inside_zero_padding():
    x = batch(n=50, c=1)
    out = RandomCrop(padding=2)(x, gen())
    assert out.shape == x.shape
    for i in range(len(x)):  # each output is a window of the padded input
        padded = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
        assert any(torch.equal(out[i], padded[:, dy:dy + 6, dx:dx + 6]) for dy in range(5) for dx in range(5))
    assert not torch.equal(out, x)


def test_rotation_zero_degrees_is_identity_and_180_flips_both_axes():
    x = batch()
    assert torch.allclose(Rotation(0)(x, gen()), x, atol=1e-5)
    rotated = Rotation(180)(x[:1].repeat(200, 1, 1, 1), gen())
    assert rotated.shape == (200, 3, 6, 6)
    with pytest.raises(ConfigError, match="augmentation 'rotate': degrees must be a number in \\[0, 180\\], got 400"):
        Rotation(400)


def test_grayscale_makes_equal_channels_and_leaves_one_channel_images():
    x = batch()
    out = RandomGrayscale(p=1)(x, gen())
    assert torch.allclose(out[:, 0], out[:, 1]) and torch.allclose(out[:, 1], out[:, 2])
    one = batch(c=1)
    assert torch.equal(RandomGrayscale(p=1)(one, gen()), one)


def test_cutout_zeroes_a_square_per_image():
    x = torch.ones(20, 1, 16, 16)
    out = Cutout(size=4)(x, gen())
    holes = (out == 0).sum(dim=(1, 2, 3))
    assert holes.max() == 16 and holes.min() >= 4  # clipped at the border, never empty


def test_normalize_runs_on_eval_batches_but_random_transforms_do_not():
    x = batch(c=2)
    aug = Augment([HorizontalFlip(p=1), Normalize(mean=[0.5, 0.0], std=[0.5, 2.0])])
    expected = torch.stack([(x[:, 0] - 0.5) / 0.5, x[:, 1] / 2.0], 1)
    assert torch.allclose(aug(x, gen(), train=False), expected)
    assert torch.allclose(aug(x, gen(), train=True), expected.flip(-1))


def test_same_seed_same_augmentation():
    aug = make_augment(["hflip", "vflip", {"type": "crop", "padding": 1}, {"type": "rotate", "degrees": 20},
                        {"type": "grayscale", "p": 0.5}, {"type": "cutout", "size": 2}])
    x = batch()
    assert torch.equal(aug(x, gen(5)), aug(x, gen(5)))
    assert not torch.equal(aug(x, gen(5)), aug(x, gen(6)))


def test_bad_specs():
    with pytest.raises(ConfigError, match="unknown augmentation 'blur'; known augmentations: .*cutout"):
        make_augment(["blur"])
    with pytest.raises(ConfigError, match="augmentation 'crop': unknown option 'pad'; allowed: padding, reflect"):
        make_augment([{"type": "crop", "pad": 2}])
    with pytest.raises(ConfigError, match="needs images"):
        make_augment(["hflip"])(torch.zeros(4, 10), gen())
    with pytest.raises(ConfigError, match="augmentation 'hflip': p must be a number in \\[0, 1\\], got 2"):
        HorizontalFlip(p=2)
    with pytest.raises(ConfigError, match="augmentation 'cutout': size must be an integer >= 1, got 0"):
        make_augment([{"type": "cutout", "size": 0}])


def test_transforms_describe_themselves():
    crop, flip = make_augment([{"type": "crop", "padding": 2}, "vflip"]).transforms
    assert crop.to_config() == {"type": "crop", "padding": 2, "reflect": False}
    assert repr(flip) == "VerticalFlip(p=0.5)"
