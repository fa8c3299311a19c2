"""A deterministic stand-in for the device's AI: colour and texture rules, not a trained network.

This is NOT a medical model. It exists so the reference device answers with outputs that
depend on the pixels it is sent (never on a hash of the bytes), in the shapes CONTRACT.md §6
and §7 require. It reads a handful of colour and texture features (redness, dark, pale,
violet and yellow pixel fractions, edge density, contrast) and classifies them against
prototypes calibrated on the clean synthetic drawings of fixtures/images/generate.py
(`python fixtures/images/generate.py --calibrate` prints the table). Its accuracy on real
photographs means nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from lhv.contract.tables import CONDITIONS, SCORING_SYSTEM_BY_CODE

SIDE = 96  # every image is resampled to SIDE × SIDE before its features are read

FEATURE_NAMES: tuple[str, ...] = (
    "redness", "inflamed", "dark", "pale", "edges", "violet", "yellow", "contrast", "saturation", "spots",
)
SPOT_AREA = (3, 40)  # pixels: an inflamed component this small is a spot (papule, pustule, small nodule)
SPOTS_PER_UNIT = 30  # the spots feature counts spots in units of a busy acne photograph's count
# Feature means per condition on clean drawings, and the pooled within-condition spread.
PROTOTYPES: dict[str, tuple[float, ...]] = {
    "EA90": (0.3293, 0.2909, 0.0005, 0.1111, 0.2560, 0.0372, 0.0001, 0.2103, 0.3774, 0.1042),
    "EA80": (0.4305, 0.6985, 0.0001, 0.0000, 0.4188, 0.0327, 0.0000, 0.0942, 0.4677, 0.0550),
    "ED70": (0.2480, 0.0112, 0.1071, 0.0000, 0.4324, 0.0029, 0.0087, 0.2224, 0.3105, 0.2833),
    "ED80": (0.3182, 0.0852, 0.0000, 0.0000, 0.1183, 0.0006, 0.0010, 0.0658, 0.3753, 0.2150),
    "EB00": (0.2888, 0.0408, 0.0000, 0.0000, 0.0064, 0.0001, 0.0000, 0.0508, 0.3274, 0.0533),
    "ED92.0": (0.3332, 0.1738, 0.0527, 0.0000, 0.2213, 0.0829, 0.0013, 0.1753, 0.4053, 0.0158),
    "2C30": (0.2683, 0.0889, 0.1841, 0.0000, 0.1626, 0.0168, 0.0015, 0.2924, 0.3558, 0.0792),
    "ED63.0": (0.2113, 0.0000, 0.0000, 0.3256, 0.1307, 0.0000, 0.0001, 0.2191, 0.2785, 0.0000),
}
SPREADS: tuple[float, ...] = (0.0312, 0.0721, 0.0232, 0.0368, 0.0532, 0.0522, 0.0049, 0.0303, 0.0346, 0.2107)
TEMPERATURE = 2.0  # softens the Gaussian log-likelihoods into probabilities
PROBABILITY_FLOOR = 0.002  # before pooling, so one confident image cannot veto the others

VALID_QUALITY = 40  # a quality score below this makes an image unusable
# Skin under neutral light, in (r, b) chromaticity (r/(r+g+b), b/(r+g+b)): a segment from light to dark skin.
SKIN_LOCUS = ((0.395, 0.285), (0.455, 0.235))
DERMATOLOGICAL_SKIN_FRACTION = 0.25  # share of skin-coloured pixels a skin photograph has at least

WHEAL_MIN_AREA = 12  # pixels at SIDE × SIDE: smaller red specks are not counted as wheals
LESION_MIN_AREA = 8  # pixels: smaller inflamed specks are not counted as HS lesions
TUNNEL_ELONGATION = 3.0  # a lesion this many times longer than wide is a draining tunnel
INFLAMED_MIN_SHARE = 0.02  # below this share of inflamed pixels there is no plaque to grade


@dataclass(frozen=True)
class ConditionProbability:
    """One ranked condition of a diagnosis."""

    code: str
    display: str
    probability: float  # per cent, 2 decimals


@dataclass(frozen=True)
class ImageQuality:
    """How usable one image is for analysis."""

    score: int  # 0–100
    is_valid: bool
    is_dermatological: bool


@dataclass(frozen=True)
class ImageAnalysis:
    """The stand-in AI's reading of one image."""

    diagnosis: tuple[ConditionProbability, ...]
    quality: ImageQuality


@dataclass(frozen=True)
class Diagnosis:
    """Per-image analyses in request order and the aggregate over them."""

    images: tuple[ImageAnalysis, ...]
    aggregate: tuple[ConditionProbability, ...]


@dataclass(frozen=True)
class _Channels:
    """Per-pixel quantities of a standardised image, all in [0, 1] unless said."""

    rgb: np.ndarray
    luminance: np.ndarray
    value: np.ndarray
    saturation: np.ndarray
    red_ratio: np.ndarray  # (R − max(G, B)) / V: how strongly red a pixel's hue is
    reference: float  # median luminance: the skin's brightness, against which dark and pale are read

    @property
    def pale(self) -> np.ndarray:
        """Whitish pixels brighter than the skin: scale, depigmentation."""
        return (self.saturation < 0.15) & (self.luminance > 1.12 * self.reference)

    @property
    def dark(self) -> np.ndarray:
        """Pixels at most half as bright as the skin: hair, pigment."""
        return self.luminance < 0.5 * self.reference

    @property
    def inflamed(self) -> np.ndarray:
        """Pixels of a clearly red hue: erythema."""
        return self.red_ratio > 0.35

    @property
    def yellow(self) -> np.ndarray:
        """Yellow pixels: pus, crusts."""
        r, g, b = self.rgb[..., 0], self.rgb[..., 1], self.rgb[..., 2]
        return (g > 0.82 * r) & (b < 0.78 * g) & (self.value > 0.35)

    @property
    def violet(self) -> np.ndarray:
        """Red-violet pixels: deep inflammatory nodules."""
        r, g, b = self.rgb[..., 0], self.rgb[..., 1], self.rgb[..., 2]
        return (b - g > 0.08 * self.value) & (r - g > 0.3 * self.value)

    @property
    def gradient(self) -> np.ndarray:
        """Luminance gradient magnitude."""
        gy, gx = np.gradient(self.luminance)
        return np.hypot(gx, gy)

    @property
    def edges(self) -> np.ndarray:
        """Pixels on a luminance edge, relative to the skin's brightness."""
        return self.gradient > 0.05 * self.reference

    @property
    def laplacian(self) -> np.ndarray:
        """Absolute Laplacian of luminance: fine detail and sharpness."""
        return np.abs(ndimage.laplace(self.luminance, mode="nearest"))


def _channels(pixels: np.ndarray) -> _Channels:
    """The per-pixel quantities of an RGB image resampled to SIDE × SIDE."""
    image = Image.fromarray(np.asarray(pixels, dtype=np.uint8)).convert("RGB")
    rgb = np.asarray(image.resize((SIDE, SIDE), Image.Resampling.BILINEAR), dtype=np.float64) / 255
    value = rgb.max(axis=-1)
    safe = np.maximum(value, 1e-6)
    luminance = rgb @ np.array([0.299, 0.587, 0.114])
    return _Channels(
        rgb=rgb,
        luminance=luminance,
        value=value,
        saturation=(value - rgb.min(axis=-1)) / safe,
        red_ratio=(rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2])) / safe,
        reference=max(float(np.median(luminance)), 1e-3),
    )


def features(pixels: np.ndarray) -> np.ndarray:
    """The feature vector (FEATURE_NAMES) of an RGB image."""
    c = _channels(pixels)
    r, g, b = c.rgb[..., 0], c.rgb[..., 1], c.rgb[..., 2]
    return np.array([
        float(np.mean(r - (g + b) / 2) / max(float(c.value.mean()), 1e-6)),
        float(c.inflamed.mean()),
        float(c.dark.mean()),
        float(c.pale.mean()),
        float(c.edges.mean()),
        float(c.violet.mean()),
        float(c.yellow.mean()),
        float(c.luminance.std() / c.reference),
        float(c.saturation.mean()),
        _count_components(c.inflamed, *SPOT_AREA) / SPOTS_PER_UNIT,
    ])


def _count_components(mask: np.ndarray, min_area: int, max_area: float = np.inf) -> int:
    """Number of 8-connected components of a mask whose area lies in [min_area, max_area]."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    return int(np.sum((areas >= min_area) & (areas <= max_area)))


def quality(pixels: np.ndarray) -> ImageQuality:
    """Scores how usable an image is: contrast × sharpness × exposure × colour balance, 0–100."""
    c = _channels(pixels)
    contrast = _ramp(float(c.luminance.std()), 0.005, 0.02)
    sharpness = _ramp(float(c.laplacian.mean()) / c.reference, 0.01, 0.02)
    clipped = float(np.mean((c.value >= 0.99) | (c.luminance < 0.03)))  # blown or crushed pixels
    exposure = _ramp(-abs(float(c.luminance.mean()) - 0.62), -0.3, -0.2) * _ramp(-clipped, -0.4, -0.15)
    balance = _ramp(-_colour_cast(c), -0.06, -0.025)
    score = int(round(100 * contrast * sharpness * exposure * balance))
    dermatological = _skin_fraction(c) >= DERMATOLOGICAL_SKIN_FRACTION
    return ImageQuality(score, dermatological and score >= VALID_QUALITY, dermatological)


def _ramp(x: float, low: float, high: float) -> float:
    """0 at or below low, 1 at or above high, linear between."""
    return float(np.clip((x - low) / (high - low), 0.0, 1.0))


def _colour_cast(c: _Channels) -> float:
    """Distance from neutral-light skin of the chromaticity of the image's least red coloured pixels.

    The least red quarter of the coloured (neither pale nor dark) pixels is the healthy skin
    around a lesion, so a red lesion does not read as a cast; a blue, green or yellow light
    moves that skin away from skin's chromaticity.
    """
    coloured = (c.saturation >= 0.15) & (c.value > 0.2)
    if coloured.sum() < 0.05 * coloured.size:
        return 1.0
    least_red = c.red_ratio[coloured] <= np.quantile(c.red_ratio[coloured], 0.25)
    pixels = c.rgb[coloured][least_red]
    chroma = np.median(pixels / np.maximum(pixels.sum(axis=-1, keepdims=True), 1e-6), axis=0)[[0, 2]]
    light, dark = np.asarray(SKIN_LOCUS[0]), np.asarray(SKIN_LOCUS[1])
    along = np.clip(np.dot(chroma - light, dark - light) / np.dot(dark - light, dark - light), 0, 1)
    return float(np.linalg.norm(chroma - (light + along * (dark - light))))


def _skin_fraction(c: _Channels) -> float:
    """Share of pixels whose hue, saturation and brightness are those of skin or a skin lesion."""
    r, g, b = c.rgb[..., 0], c.rgb[..., 1], c.rgb[..., 2]
    skin = (r >= g) & (r > b) & (c.saturation > 0.08) & (c.saturation < 0.85) & (c.value > 0.15)
    return float(skin.mean())


def classify(pixels: np.ndarray) -> tuple[ConditionProbability, ...]:
    """Ranks the known conditions for one image: probabilities in per cent, summing to 100, descending."""
    return _ranked(_probabilities(features(pixels)))


def _probabilities(vector: np.ndarray) -> np.ndarray:
    """Softened Gaussian class likelihoods of a feature vector, in CONDITIONS order, summing to 1."""
    prototypes = np.array([PROTOTYPES[condition.code] for condition in CONDITIONS])
    distance = (((vector - prototypes) / np.asarray(SPREADS)) ** 2).sum(axis=1)
    logits = -distance / (2 * TEMPERATURE)
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


def _ranked(probabilities: np.ndarray) -> tuple[ConditionProbability, ...]:
    """Conditions sorted by probability, in per cent to 2 decimals that sum to exactly 100."""
    hundredths = _largest_remainder(probabilities * 10_000)
    order = sorted(range(len(CONDITIONS)), key=lambda i: (-hundredths[i], i))
    return tuple(ConditionProbability(CONDITIONS[i].code, CONDITIONS[i].display, hundredths[i] / 100) for i in order)


def _largest_remainder(shares: np.ndarray) -> list[int]:
    """Integers that sum to round(shares.sum()), each the floor of its share or one more."""
    floors = np.floor(shares).astype(int)
    missing = int(round(float(shares.sum()))) - int(floors.sum())
    for index in np.argsort(-(shares - floors), kind="stable")[:missing]:
        floors[index] += 1
    return [int(value) for value in floors]


def diagnose(images: Sequence[np.ndarray], *, use_only_first: bool = False, aggregate: bool = True) -> Diagnosis:
    """Analyses each image and pools them into one aggregate diagnosis.

    The aggregate is a quality-weighted geometric pool: each usable image's probabilities
    (floored at PROBABILITY_FLOOR) are averaged in log space with weight (quality/100)²,
    so independent errors of single photographs cancel and blurred or badly lit ones count
    little. When no image is usable, all images are pooled; `isValid` tells the client.

    Fault hooks: `use_only_first=True` analyses only the first image (fault
    `first-image-only`); `aggregate=False` returns the first image's diagnosis as the
    aggregate, so extra images add nothing (fault `no-multi-image-gain`).
    """
    if not images:
        raise ValueError("diagnose needs at least one image")
    analysed = list(images[:1] if use_only_first else images)
    probabilities = [_probabilities(features(pixels)) for pixels in analysed]
    qualities = [quality(pixels) for pixels in analysed]
    per_image = tuple(ImageAnalysis(_ranked(p), q) for p, q in zip(probabilities, qualities))
    if not aggregate:
        return Diagnosis(per_image, per_image[0].diagnosis)
    return Diagnosis(per_image, _ranked(_pool(probabilities, qualities)))


def _pool(probabilities: list[np.ndarray], qualities: list[ImageQuality]) -> np.ndarray:
    """Quality-weighted geometric pool of per-image probabilities."""
    usable = [i for i, q in enumerate(qualities) if q.is_valid] or list(range(len(qualities)))
    weights = np.array([(qualities[i].score / 100) ** 2 for i in usable])
    if weights.sum() == 0:
        weights = np.ones(len(usable))
    floored = [(1 - PROBABILITY_FLOOR) * probabilities[i] + PROBABILITY_FLOOR / len(CONDITIONS) for i in usable]
    log_pool = np.average(np.log(floored), axis=0, weights=weights)
    pooled = np.exp(log_pool - log_pool.max())
    return pooled / pooled.sum()


def hive_category(count: int) -> int:
    """The AUAS wheal grade of a wheal count: 0 none, 1 fewer than 20, 2 from 20 to 50, 3 more than 50."""
    return 0 if count <= 0 else 1 if count < 20 else 2 if count <= 50 else 3


def grade_signs(pixels: np.ndarray, system_code: str) -> dict[str, int | float]:
    """Grades from the pixels every AI item of a scoring system, each within its contract range.

    Each sign is first read as a level in [0, 1] from colour and texture, then scaled to the
    item's grade range and rounded; hair loss is a per cent with one decimal; AIHS4 items
    are counts of inflamed components by shape.
    """
    system = SCORING_SYSTEM_BY_CODE[system_code]
    c = _channels(pixels)
    if system_code == "asalt":
        return {"hair_loss": _hair_loss(c)}
    if system_code == "auas":
        return {"hive": hive_category(_count_components(c.red_ratio > 0.3, WHEAL_MIN_AREA))}
    if system_code == "aihs4":
        return _hidradenitis_lesions(c)
    levels = _sign_levels(c)
    return {spec.code: int(round(float(spec.maximum) * levels[spec.code])) for spec in system.ai_items}


def _sign_levels(c: _Channels) -> dict[str, float]:
    """Levels in [0, 1] of the inflammatory signs APASI and ASCORAD grade."""
    inflamed = c.inflamed
    if inflamed.mean() < INFLAMED_MIN_SHARE:
        return dict.fromkeys(("erythema", "induration", "desquamation", "swelling", "crusting", "excoriation",
                              "lichenification", "dryness"), 0.0)
    # The plaque: inflamed pixels with the scale and crust islands inside them.
    lesion = ndimage.binary_fill_holes(ndimage.binary_closing(inflamed, iterations=3)) | inflamed
    relative = c.luminance / c.reference
    dark_red = (c.red_ratio > 0.45) & (relative < 0.85)
    scratches = dark_red & ~ndimage.binary_opening(dark_red, iterations=1)  # thin lines only, not plaques
    scale = lesion & (c.saturation < 0.18) & (relative > 0.9)  # whitish flakes on the plaque
    return {
        "erythema": _level(float(c.red_ratio[inflamed].mean()) - 0.35, 0.35),
        "induration": _level(float(relative[lesion].std()), 0.25),
        "desquamation": _level(float(scale.sum()) / float(lesion.sum()), 0.4),
        "swelling": _level(float(relative[inflamed].std()), 0.15),
        "crusting": _level(float((c.yellow & lesion).mean()), 0.03),
        "excoriation": _level(float(scratches.mean()), 0.03),
        "lichenification": _level(float(c.edges[inflamed].mean()), 0.6),
        "dryness": _level(float(c.laplacian[inflamed].mean()) / c.reference - 0.02, 0.1),
    }


def _level(value: float, full: float) -> float:
    """value / full clipped to [0, 1]."""
    return float(np.clip(value / full, 0.0, 1.0))


def _hair_loss(c: _Channels) -> float:
    """Per cent of the view with no hair near it, one decimal: hair is dark, line-like pixels."""
    strands = c.dark | (c.edges & (c.luminance < 0.9 * c.reference))
    covered = ndimage.maximum_filter(strands, size=7)
    return round(100 * (1 - float(covered.mean())), 1)


def _hidradenitis_lesions(c: _Channels) -> dict[str, int]:
    """Counts inflamed components as nodules, abscesses (a yellow centre) or draining tunnels (elongated)."""
    labels, _ = ndimage.label(c.inflamed | c.violet, structure=np.ones((3, 3)))
    counts = {"nodule": 0, "abscess": 0, "draining_tunnel": 0}
    yellow = np.pad(c.yellow, 2)  # padded so a component's window can reach 2 pixels past its box
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        component = labels[box] == index
        if component.sum() < LESION_MIN_AREA:
            continue
        near = ndimage.binary_dilation(np.pad(component, 2), iterations=2)
        window = yellow[box[0].start:box[0].stop + 4, box[1].start:box[1].stop + 4]
        if _elongation(component) >= TUNNEL_ELONGATION:
            counts["draining_tunnel"] += 1
        elif (window & near).sum() >= 2:
            counts["abscess"] += 1
        else:
            counts["nodule"] += 1
    return counts


def _elongation(component: np.ndarray) -> float:
    """Ratio of a component's longest to shortest axis, from its second moments."""
    coordinates = np.argwhere(component).astype(np.float64)
    eigenvalues = np.linalg.eigvalsh(np.cov(coordinates, rowvar=False) + np.eye(2) * 1e-6)
    return float(np.sqrt(eigenvalues[-1] / eigenvalues[0]))
