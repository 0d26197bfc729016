"""Image folders: listing without decoding, the decode cache, unreadable images, the train/val
layout, and images read from disk batch by batch."""

import json
import os

import numpy
import pytest
import torch
from PIL import Image

from nas._errors import DataError
from nas.data import DecodeCache, DiskImages, decode_image, list_folder, load_data, read_folder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("NAS_CACHE_DIR", str(directory))
    return directory


def write_images(root, classes=("cat", "dog", "emu"), per_class=10, size=40, suffix=".png"):
    """Colour images whose pixels encode class and index (so a mix-up is visible)."""
    rng = numpy.random.default_rng(0)
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = rng.integers(0, 256, (size, size + 6, 3), dtype=numpy.uint8)
            pixels[..., 0] = 60 * label + index
            Image.fromarray(pixels).save(root / name / f"{index:03d}{suffix}")
    return root


def state_of(data_cache: DecodeCache) -> numpy.ndarray:
    return data_cache.state()


def test_listing_decodes_nothing_and_orders_files_by_class(tmp_path):
    root = write_images(tmp_path / "images", per_class=3)
    (root / "cat" / "notes.txt").write_text("not an image")
    listing = list_folder(root)
    assert listing.class_names == ("cat", "dog", "emu") and listing.test is None
    assert listing.pool.files[:3] == ("cat/000.png", "cat/001.png", "cat/002.png")
    assert listing.pool.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    same = list_folder(root).pool.digest
    (root / "dog" / "001.png").write_bytes((root / "dog" / "001.png").read_bytes() + b"\0")
    assert list_folder(root).pool.digest != same  # a changed file changes the listing


def test_only_kept_files_are_decoded_once_and_reused(tmp_path, cache):
    root = write_images(tmp_path / "images")
    data = load_data(f"folder:{root}", resolution=16, seed=0, train_size=6)
    assert isinstance(data.train[0], DiskImages) and len(data.train[1]) == 6
    part_cache = DecodeCache(list_folder(root).pool, name="pool", resolution=16)
    state = state_of(part_cache)
    # 30 images: 6 held out for test (not decoded: test=False), validation 0.2 of the other 24
    # (5), 6 of the remaining 19 for training: 11 decoded, the rest never touched
    assert int((state == 1).sum()) == 6 + len(data.validation[1]) == 11
    # the second load reads the cache: make a kept file unreadable without changing its size
    # or time; a load that decoded again would skip it
    listing = list_folder(root)
    kept = listing.pool.files[int(data.train[0].rows[0])]
    path = root / kept
    status = path.stat()
    path.write_bytes(b"x" * status.st_size)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    again = load_data(f"folder:{root}", resolution=16, seed=0, train_size=6)
    assert again.skipped == () and torch.equal(again.train[0][:], data.train[0][:])


def test_disk_images_are_the_decoded_images(tmp_path, cache):
    root = write_images(tmp_path / "images", per_class=8)
    data = load_data(f"folder:{root}", resolution=12, seed=3, test=True)
    raw = read_folder(root, resolution=12)
    images, labels = data.train
    expected = torch.from_numpy(raw.train_images[images.rows]).permute(0, 3, 1, 2)
    assert torch.equal(images[:], expected)
    assert torch.equal(labels, torch.from_numpy(raw.train_labels[images.rows]))
    picked = torch.tensor([3, 0, 3, 1])
    assert torch.equal(images[picked], expected[picked])
    assert images[2].shape == (3, 12, 12) and images.shape == (len(labels), 3, 12, 12)
    assert len(data.test[1]) == 5 and data.natural
    with pytest.raises(IndexError):
        images[torch.tensor([len(labels)])]


def test_unreadable_images_are_skipped_and_counted_or_refused(tmp_path, cache):
    root = write_images(tmp_path / "images")
    (root / "dog" / "zz-broken.png").write_bytes(b"not a png")
    data = load_data(f"folder:{root}", resolution=16, seed=0, test=True)
    assert data.skipped == ("dog/zz-broken.png",)
    total = len(data.train[1]) + len(data.validation[1]) + len(data.test[1])
    assert total == 30  # the 31st file is left out
    manifest = json.loads(DecodeCache(list_folder(root).pool, name="pool",
                                      resolution=16).manifest_path.read_text())
    assert manifest["unreadable_count"] == 1 and "dog/zz-broken.png" in manifest["unreadable"]
    with pytest.raises(DataError, match="zz-broken.png' must be readable by Pillow"):
        load_data(f"folder:{root}", resolution=16, seed=0, test=True, strict=True)


def test_strict_fails_on_a_fresh_cache_too(tmp_path, cache):
    root = write_images(tmp_path / "images", per_class=8)
    (root / "cat" / "000.png").write_bytes(b"broken")
    with pytest.raises(DataError, match="000.png' must be readable by Pillow"):
        load_data(f"folder:{root}", resolution=8, seed=0, test=True, strict=True)


def test_train_and_val_layout_uses_val_as_the_test_split(tmp_path, cache):
    write_images(tmp_path / "photos" / "train", per_class=10)
    write_images(tmp_path / "photos" / "val", per_class=2)
    data = load_data(f"folder:{tmp_path / 'photos'}", resolution=8, seed=0, test=True,
                     validation_fraction=0.1)
    assert data.class_names == ("cat", "dog", "emu")
    assert len(data.test[1]) == 6 and sorted(data.test[1].tolist()) == [0, 0, 1, 1, 2, 2]
    assert len(data.train[1]) + len(data.validation[1]) == 30  # no test hold-out from train/
    (tmp_path / "photos" / "val" / "yak").mkdir()
    write_images(tmp_path / "photos" / "val", classes=("yak",), per_class=1)
    with pytest.raises(DataError, match="yak is not"):
        list_folder(tmp_path / "photos")


def test_jpeg_decoded_at_reduced_size_matches_a_full_decode(tmp_path):
    rng = numpy.random.default_rng(1)
    smooth = rng.integers(0, 256, (8, 8, 3), dtype=numpy.uint8)
    Image.fromarray(smooth).resize((256, 320), Image.Resampling.BICUBIC).save(
        tmp_path / "photo.jpg", quality=95)
    reduced = decode_image(tmp_path / "photo.jpg", 32).astype(float)
    with Image.open(tmp_path / "photo.jpg") as image:
        full = image.convert("RGB").crop((0, 32, 256, 288)).resize(
            (32, 32), Image.Resampling.BICUBIC)
    assert reduced.shape == (32, 32, 3)
    assert numpy.abs(reduced - numpy.asarray(full, dtype=float)).mean() < 3.0
