"""The race exported as an animated GIF and an MP4: the files decode, with the frames, size and
colours asked for; bad settings are refused; the Compare page offers them (AppTest)."""
import io
import pathlib
import tempfile

import imageio.v2 as imageio
import landscapes
import numpy as np
import optimizers
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from viz import animation, figures
from viz.surface_image import evaluate

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def race():
    surface = landscapes.get("rosenbrock")
    results = [optimizers.run(name, surface, start=(-1.5, 2.0), steps=300, lr=lr)
               for name, lr in (("adam", 0.03), ("momentum", 0.001), ("sgd", 0.02))]  # the last one diverges
    tracks = figures.tracks_from_results(results, ["Adam", "Momentum", "GD, too large a step"])
    return surface, evaluate(surface, 200), tracks


def _near(frame: np.ndarray, colour: str, tolerance: int) -> int:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int(np.sum(np.all(np.abs(frame[..., :3].astype(int) - rgb) <= tolerance, axis=-1)))


def test_the_gif_has_the_frames_size_and_trail_colours_asked_for(race):
    surface, grid, tracks = race
    video = animation.race_video(grid, tracks, (-1.5, 2.0), surface.minima, "Rosenbrock", kind="gif", width=640, fps=10,
                                 seconds=3)
    frames = imageio.mimread(io.BytesIO(video.data), format="GIF")
    assert len(frames) == video.frames == 30
    assert frames[0].shape[1] == 640 and frames[0].shape[0] == video.height and video.height % 16 == 0
    last, first = frames[-1], frames[0]
    for track in tracks:
        assert _near(last, track.colour, 12) > 150, f"{track.label}'s trail is missing from the last frame"
        assert _near(last, track.colour, 12) > _near(first, track.colour, 12) + 100  # the trails grew
    with Image.open(io.BytesIO(video.data)) as image:
        assert image.info.get("loop") == 0 and image.info.get("duration") == 100  # loops, 10 frames a second


def test_the_mp4_decodes_with_its_frames_and_size(race):
    surface, grid, tracks = race
    video = animation.race_video(grid, tracks, (-1.5, 2.0), surface.minima, "Rosenbrock", kind="mp4", width=960, fps=20,
                                 seconds=2)
    with tempfile.NamedTemporaryFile(suffix=".mp4") as handle:
        handle.write(video.data)
        handle.flush()
        reader = imageio.get_reader(handle.name, format="FFMPEG")
        frames = [frame for frame in reader]
        meta = reader.get_meta_data()
        reader.close()
    assert len(frames) == video.frames == 40
    assert frames[0].shape[:2] == (video.height, 960) and meta["fps"] == 20
    assert video.data[4:8] == b"ftyp"
    for track in tracks:  # H.264 shifts colours a little
        assert _near(frames[-1], track.colour, 40) > 100, f"{track.label}'s trail is missing from the last frame"


def test_frames_show_steps_from_the_start_to_the_end_evenly():
    steps = animation.frame_steps(500, 120)
    assert steps[0] == 0 and steps[-1] == 500 and len(steps) == 120 and np.all(np.diff(steps) > 0)
    assert len(animation.frame_steps(10, 120)) == 11  # never more frames than steps
    assert len(animation.frame_steps(5000, 10_000)) == animation.MAX_FRAMES


@pytest.mark.parametrize("settings, message", [
    (dict(kind="avi"), "Invalid video kind"), (dict(width=4000), "Invalid width"), (dict(fps=0), "Invalid frame rate"),
    (dict(seconds=600), "Invalid length"),
])
def test_bad_export_settings_are_refused_with_a_clear_message(race, settings, message):
    surface, grid, tracks = race
    arguments = dict(kind="gif", width=640, fps=10, seconds=2) | settings
    with pytest.raises(ValueError, match=message):
        animation.race_video(grid, tracks, (-1.5, 2.0), surface.minima, "x", **arguments)


def test_the_compare_page_makes_the_video_and_offers_it_with_its_size():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/1_Compare.py")
    at.query_params.update({"land": "booth", "runs": "adam,sgd", "steps": "100"})
    at.run()
    at.radio(key="video.kind").set_value("gif")
    at.selectbox(key="video.width").set_value(640)
    at.slider(key="video.seconds").set_value(2)
    at.button(key="video.make").click().run()
    assert not at.exception
    buttons = [b for b in at.get("download_button") if "GIF" in b.proto.label]
    assert buttons and "640 ×" in buttons[0].proto.label and "40 frames" in buttons[0].proto.label
    assert "KB" in buttons[0].proto.label
