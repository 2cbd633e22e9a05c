"""Exercises of chapter 06: overlap-tile inference and mirror extrapolation.

Answers come from the package's tile planner, U-Net and mirroring, never typed in.
"""

from __future__ import annotations

import numpy as np
import torch

from unet_course import quiz
from unet_course.quiz.catalog import N_


def _unet(**settings):
    from unet_course.models import UNet

    with torch.device("meta"):
        return UNet(base_channels=1, **settings)


def tiles_needed(height: int, width: int) -> int:
    """Input tiles of 572 px (the paper's network, stepped on the pooling grid) for an image."""
    from unet_course.tiling import plan_tiles

    return plan_tiles(_unet(), (height, width), tile_size=572).num_tiles


def seamless_step(depth: int, tile: int) -> int:
    """The largest step (output pixels) at most the output tile that keeps tiles on the
    pooling grid, for a valid U-Net of ``depth`` and input tile ``tile``."""
    from unet_course.tiling import plan_tiles

    return plan_tiles(_unet(depth=depth), (4 * tile, 4 * tile), tile_size=tile).step[0]


def mirror_indices_reference(n: int, before: int, after: int) -> np.ndarray:
    from unet_course.tiling import mirror_indices

    return mirror_indices(n, before, after)


def _mirror_cases() -> list[tuple[int, int, int]]:
    return [(5, 2, 2), (5, 0, 3), (4, 3, 0), (6, 5, 5), (3, 7, 9), (1, 2, 3), (10, 1, 12)]


def _mirror_repeating_border(n: int, before: int, after: int) -> np.ndarray:
    """A plausible wrong answer: mirroring that repeats the border pixel (``b a | a b c d | d c``)."""
    return np.pad(np.arange(n), (before, after), mode="symmetric")


def _mirror_once(n: int, before: int, after: int) -> np.ndarray:
    """A plausible wrong answer: one reflection, then the border pixel repeated for longer pads."""
    i = np.abs(np.arange(-before, n + after))
    i = np.where(i > n - 1, 2 * (n - 1) - i, i)
    return np.clip(i, 0, n - 1)


def _compare_mirror(yours, ref, args) -> str | None:
    n, before, after = args
    yours = np.asarray(yours)
    if yours.shape != ref.shape:
        return N_(
            'for n={n}, before={before}, after={after} you returned {size} indices; there should be '
            'before + n + after = {total}'
        ).format(n=n, before=before, after=after, size=yours.size, total=ref.size)
    if not np.array_equal(yours[before : before + n], np.arange(n)):
        return N_(
            'for n={n}, before={before}, after={after} the middle part should be the image itself, 0 '
            '.. n-1'
        ).format(n=n, before=before, after=after)
    if not np.array_equal(yours, ref):
        k = int(np.argmax(yours != ref))
        return (N_(
            'for n={n}, before={before}, after={after} index {k} of your answer is off: mirror about '
            'the border pixel without repeating it, and reflect again when the pad is longer than the'
            ' axis'
        ).format(n=n, before=before, after=after, k=k))
    return None


# --- build step: the overlap-tile loop (06.overlap-tile) ------------------------------------------
#
# The learner's loop takes any network (a callable: a (1, C, tile, tile) tensor in, a (1, K, keep,
# keep) tensor out), an (H, W) image and a TilePlan (tiling.plan_tiles), and returns the (K, H, W)
# scores. The reference is tiling.predict_tiled with the plan's tile size and step; the check's
# plans step on the pooling grid, where predict_tiled equals tiling.predict_whole.


def predict_tiled_from_plan(net, image: np.ndarray, plan) -> np.ndarray:
    """``tiling.predict_tiled`` with the tile size and step of ``plan`` (a ``TilePlan``): the
    ``(K, H, W)`` class scores of an ``(H, W)`` image, float32."""
    from unet_course.tiling import predict_tiled

    return predict_tiled(net, image, tile_size=plan.tile_size, step=plan.step, progress=False)


_CHECK_NET: list = []


def _check_net():
    """A small valid U-Net (depth 2, margin 20 px), fixed weights: the network of the check. Its
    head has a bias, so that no score is exactly 0 (a pixel left at 0 is a pixel never written)."""
    if not _CHECK_NET:
        from unet_course.models import UNet

        class CheckUNet(UNet):
            def __repr__(self) -> str:
                return "UNet(base_channels=4, depth=2)"

        with torch.random.fork_rng():
            torch.manual_seed(6)
            net = CheckUNet(base_channels=4, depth=2, dropout=0.0).eval()
        with torch.no_grad():
            net.head.bias.copy_(torch.tensor([0.25, -0.25]))
        _CHECK_NET.append(net)
    return _CHECK_NET[0]


def _overlap_tile_cases() -> list[tuple]:
    from unet_course.tiling import plan_tiles

    net = _check_net()
    rng = np.random.default_rng(6)
    cases = []
    # (H, W, tile, step): the first plan's output tiles overlap by 4 px (keep 24, step 20) and its
    # image has an inside beyond the receptive reach (23 px); the others: one tile row, default steps
    for h, w, tile, step in [(52, 64, 64, 20), (14, 50, 48, None), (41, 33, 52, None)]:
        image = rng.random((h, w)).astype(np.float32)
        cases.append((net, image, plan_tiles(net, (h, w), tile_size=tile, step=step)))
    return cases


def _canvas(image: np.ndarray, plan, mode: str = "reflect") -> np.ndarray:
    h, w = image.shape
    (ch, cw), m = plan.canvas_shape, plan.offset
    if mode == "reflect":
        from unet_course.tiling import mirror_pad

        return mirror_pad(image, (m, ch - h - m, m, cw - w - m))
    return np.pad(image, ((m, ch - h - m), (m, cw - w - m)), mode=mode)


def _tile_scores(net, canvas: np.ndarray, y: int, x: int, plan) -> np.ndarray:
    th, tw = plan.tile_size
    with torch.no_grad():
        return net(torch.from_numpy(canvas[y : y + th, x : x + tw].copy())[None, None])[0].numpy()


def _loop(net, image, plan, canvas, positions, place, add=False):
    """The overlap-tile loop with its pieces chosen: where tiles are cut (``positions``: canvas
    starts), where their output goes (``place``: image start of a canvas start), ``+=`` or ``=``."""
    h, w = image.shape
    kh, kw = plan.keep
    out = None
    for y, x in positions:
        scores = _tile_scores(net, canvas, y, x, plan)
        if out is None:
            out = np.zeros((scores.shape[0], h, w), dtype=np.float32)
        r, c = place(y), place(x)
        rows, cols = min(kh, h - r), min(kw, w - c)
        if rows <= 0 or cols <= 0:
            continue
        if add:
            out[:, r : r + rows, c : c + cols] += scores[:, :rows, :cols]
        else:
            out[:, r : r + rows, c : c + cols] = scores[:, :rows, :cols]
    return out


def _planned(plan):
    return [(y, x) for y in plan.ys for x in plan.xs]


def _tiles_by_input_step(net, image, plan):
    """Mistake: tiles stepped by the input tile size, so output tiles leave gaps."""
    h, w = image.shape
    th, tw = plan.tile_size
    m = plan.offset
    from unet_course.tiling import mirror_pad

    canvas = mirror_pad(image, (m, th + m, m, tw + m))
    positions = [(y, x) for y in range(0, h, th) for x in range(0, w, tw)]
    return _loop(net, image, plan, canvas, positions, place=lambda v: v)


def _zeros_beyond_the_border(net, image, plan):
    """Mistake: the canvas padded with zeros instead of the mirror image."""
    return _loop(net, image, plan, _canvas(image, plan, "constant"), _planned(plan), place=lambda v: v)


def _border_pixel_repeated(net, image, plan):
    """Mistake: mirrored with the border pixel repeated (numpy.pad 'symmetric': b a | a b c d | d c)."""
    return _loop(net, image, plan, _canvas(image, plan, "symmetric"), _planned(plan), place=lambda v: v)


def _placed_at_canvas_position(net, image, plan):
    """Mistake: an output tile written at its tile's canvas position plus the margin."""
    m = plan.offset
    return _loop(net, image, plan, _canvas(image, plan), _planned(plan), place=lambda v: v + m)


def _overlaps_summed(net, image, plan):
    """Mistake: overlapping output tiles added (+=) into the result, not written once."""
    return _loop(net, image, plan, _canvas(image, plan), _planned(plan), place=lambda v: v, add=True)


MSG_6_HOLES = (N_("Some pixels of your result were never written (they are still 0): step the tiles by the output "
                  "tile, the plan's step, not by the input tile size; the input tiles overlap, the output tiles lie "
                  "side by side."))
MSG_6_SHIFTED = (N_("Your result is shifted by the margin: image pixel (r, c) is canvas pixel (r + offset, c + offset), "
                    "so the output of the tile cut at canvas row y and column x predicts image rows and columns "
                    "starting at y and x, not at y + offset and x + offset."))
MSG_6_SUMMED = (N_("Your result is right where one output tile covers a pixel and a multiple of it where output tiles "
                   "overlap: write each output tile into the result (=), do not add it (+=)."))
MSG_6_ZEROS = (N_("Your result is right inside the image and wrong near its border, as if the network saw zeros "
                  "beyond the border: extend the image by mirroring it (tiling.mirror_pad), as the paper does."))
MSG_6_BORDER = (N_("Your result is right inside the image and wrong near its border: the context beyond the border "
                   "is not the paper's mirror image; reflect about the border pixel without repeating it "
                   "(c b | a b c d | c b, tiling.mirror_pad)."))
MSG_6_OVERLAP = (N_("Your result differs only where output tiles overlap: there every tile that covers a pixel "
                    "predicts the same scores, so write one of them (or their mean)."))
MSG_6_SHAPE = N_("Your result has shape {given}; it should be (num_classes, H, W) = {expected}, the image's size.")
MSG_6_NOT_ARRAY = N_("Your function returned {kind}; return the class scores as a NumPy array (num_classes, H, W).")
MSG_6_VALUES = (N_("Your result has the right shape but differs from the reference at {count} of {size} pixels; the "
                   "first is row {r}, column {c}."))


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.isclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(b).max())))


def _covering_tiles(starts: tuple[int, ...], keep: int, size: int) -> np.ndarray:
    count = np.zeros(size, dtype=np.float32)
    for s in starts:
        count[s : s + keep] += 1
    return count


def _diagnose_tiling(yours, ref: np.ndarray, args: tuple) -> str | None:
    """What is wrong with a learner's overlap-tile loop, recognised from where its result differs."""
    net, image, plan = args
    if isinstance(yours, torch.Tensor):
        yours = yours.detach().cpu().numpy()
    if not isinstance(yours, np.ndarray) or yours.dtype == object:
        return MSG_6_NOT_ARRAY.format(kind=type(yours).__name__)
    if yours.shape != ref.shape:
        return MSG_6_SHAPE.format(given=tuple(yours.shape), expected=tuple(ref.shape))
    yours = yours.astype(np.float32)
    if _close(yours, ref).all():
        return None
    (h, w), m = image.shape, plan.offset
    if h > m and w > m and _close(yours[:, m:, m:], ref[:, : h - m, : w - m]).all():
        return MSG_6_SHIFTED
    if (np.all(yours == 0, axis=0) & np.any(ref != 0, axis=0)).any():
        return MSG_6_HOLES
    count = np.outer(_covering_tiles(plan.ys, plan.keep[0], h), _covering_tiles(plan.xs, plan.keep[1], w))
    if count.max() > 1 and _close(yours, ref * count).all():
        return MSG_6_SUMMED
    wrong = ~_close(yours, ref).all(axis=0)
    reach = getattr(net, "receptive_reach", m)
    inside = np.zeros((h, w), dtype=bool)
    inside[reach : h - reach, reach : w - reach] = True
    if inside.any() and not wrong[inside].any():
        from unet_course.tiling import predict_tiled

        zeros = predict_tiled(net, image, tile_size=plan.tile_size, step=plan.step, progress=False, pad_mode="zero")
        return MSG_6_ZEROS if _close(yours, zeros).all() else MSG_6_BORDER
    if count.max() > 1 and not wrong[count == 1].any():
        return MSG_6_OVERLAP
    r, c = (int(v) for v in np.argwhere(wrong)[0])
    return MSG_6_VALUES.format(count=int(wrong.sum()), size=wrong.size, r=r, c=c)


QUESTIONS = [
    quiz.Numeric(
        "06.tiles-count",
        "How many 572 x 572 input tiles does the paper's network need for a 2048 x 1536 image, "
        "with tiles stepped on the pooling grid (output tiles of 388 px, step 384)? Give an integer.",
        lambda: tiles_needed(2048, 1536),
        rtol=0,
        atol=0.5,
        hint="Along an axis of n pixels: one tile covers 388, every further tile adds 384; a partial tile counts.",
        wrong=[23, 25, 15, 12, 20],
    ),
    quiz.Numeric(
        "06.grid-step",
        "A valid U-Net of depth 3 gets input tiles of 300 px. What is the largest step (in output "
        "pixels) no larger than its output tile for which the tiled output equals the whole-image output? "
        "Give an integer number of pixels.",
        lambda: seamless_step(3, 300),
        rtol=0,
        atol=0.5,
        hint="First find the output tile (model.output_size); then ask which steps keep every tile on the pooling grid.",
        # the output tile itself (212), one grid step too short, and the grid of depth 4
        wrong=[212, 200, 192, 209],
    ),
    quiz.TrueFalse(
        "06.shift-8",
        "Shifting the input of a valid U-Net of depth 3 (three 2x2 max-poolings) by 8 pixels shifts its "
        "output by exactly 8 pixels (away from the borders).",
        8 % 2**3 == 0,
        hint="Which shifts keep every 2x2 max-pool window on the same pixels, down to the last pooling of this network?",
        explanation="A shift by a multiple of 2**depth keeps the pooling grid of every level: for depth 3 that is "
        "8 pixels, so the output shifts by exactly 8 pixels; the paper's depth-4 network needs 16.",
        wrong=[False],
    ),
    quiz.CodeExercise(
        "06.mirror-indices",
        "Write `mirror_indices(n, before, after)`: the indices into an axis of length `n` that "
        "extend it by `before` and `after` pixels by mirroring (reflecting about the border pixel, "
        "`c b | a b c d | c b`, again and again for pads longer than the axis; for n = 1 every index is 0).",
        mirror_indices_reference,
        _mirror_cases,
        compare=_compare_mirror,
        hint="Reflection about the border pixel is periodic; find its period, then fold the upper half of each period back.",
        wrong=[_mirror_repeating_border, _mirror_once],
    ),
    quiz.CodeExercise(
        "06.overlap-tile",
        "Write `overlap_tile(net, image, plan)`: the overlap-tile loop. Extend the (H, W) image by mirroring "
        "to the plan's canvas, cut every planned input tile, predict it with `net` (a (1, 1, tile, tile) "
        "tensor in, (1, K, keep, keep) scores out) and place its output tile in a (K, H, W) NumPy result.",
        predict_tiled_from_plan,
        _overlap_tile_cases,
        compare=_diagnose_tiling,
        hint="Tile (i, j) reads canvas rows plan.ys[i] : plan.ys[i] + tile; its output predicts image rows "
        "plan.ys[i] : plan.ys[i] + keep (likewise for columns); the last tiles reach past the image, keep "
        "only what lies inside it.",
        wrong=[
            quiz.Mistake(_tiles_by_input_step, says=MSG_6_HOLES),
            quiz.Mistake(_zeros_beyond_the_border, says=MSG_6_ZEROS),
            quiz.Mistake(_border_pixel_repeated, says=MSG_6_BORDER),
            quiz.Mistake(_placed_at_canvas_position, says=MSG_6_SHIFTED),
            quiz.Mistake(_overlaps_summed, says=MSG_6_SUMMED),
        ],
    ),
    quiz.TrueFalse(
        "06.mirror-recovers",
        "Mirror extrapolation recovers the true image content beyond the border of the image.",
        False,
        hint="What does the network see in the mirrored band: the tissue that was there, or a "
        "reflection of the tissue inside?",
        explanation="Mirroring invents plausible context with the local statistics of the image; it does "
        "not know what lay beyond the border, so pixels near the image border still differ from a "
        "prediction with real context, only less than with zeros.",
        wrong=[True],
    ),
    quiz.Choice(
        "06.predict-border-error",
        "Predict before running: in the image border band (pixels whose receptive field reaches beyond the "
        "image), which way of filling the missing context gives the smallest mean error of the cell "
        "probability, against a prediction with the real context?",
        [
            "mirror extrapolation at the image border",
            "zeros beyond the image border",
            "no context: every tile cut out alone",
            "all three alike: largest within 10 % of smallest",
        ],
        0,
        hint="Which filling looks most like the tissue the filters saw in training: a reflection, a flat "
        "dark band, or dark bands on all four sides of every tile?",
        wrong=[1, 2, 3],
    ),
]
