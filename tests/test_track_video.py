"""Several people in real footage (real MediaPipe on frames of the bundled Pose2Sim clip, built
into two-person clips by ``multi_person``): the chosen person is kept in every frame through a
crossing, found again after it, lifted without a root jump beyond the human limit; "all" gives
everyone on one ground where they stand; bad choices are refused with the list of people."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import multi_person as mp  # noqa: E402

from ambiblend.core.detect import detect_people, detect_video, read_people  # noqa: E402
from ambiblend.core.errors import AmbiblendError  # noqa: E402
from ambiblend.core.pipeline import PipelineOptions, load_lifting_model, run_pipeline, run_pipeline_people  # noqa: E402
from ambiblend.core.skeleton import ANKLE_TO_SOLE, FEET, ROOT  # noqa: E402
from ambiblend.core.track import HUMAN_ROOT_SPEED, root_speeds  # noqa: E402

A_POINT = "300,250"      # on the man in the middle (A) in the first frame of the crossing clip


@pytest.fixture(scope="module")
def crossing(tmp_path_factory):
    path, patch = mp.crossing(tmp_path_factory.mktemp("cross") / "crossing.mp4")
    return path, patch, read_people(path, cache=True)


@pytest.fixture(scope="module")
def model():
    return load_lifting_model(PipelineOptions())


def _ids(people, k, patch):
    """Ground truth per frame of track k: 0 = the man in place, 1 = the pasted one, -1 unseen."""
    pelvis = np.where(people.seen[k][:, None], people.xy[k, :, ROOT], np.nan)
    return mp.identity(pelvis, patch)


def test_crossing_keeps_every_identity_and_finds_the_hidden_man_again(crossing):
    path, patch, people = crossing
    assert people.count >= 2
    for k in range(people.count):                          # no track ever holds both men
        ids = _ids(people, k, patch)
        assert mp.switches(ids) == 0, (k, ids.tolist())
    from ambiblend.core.track import choose
    (a,) = choose(people, A_POINT)
    ids = _ids(people, a, patch)
    assert set(ids[ids >= 0]) == {0}                       # the chosen man, never the other
    hidden = ids < 0
    assert ids[:8].tolist() == [0] * 8 and hidden[15:30].all()   # seen, hidden behind the other …
    assert (ids[-3:] == 0).all()                                 # … and found again, same identity
    kp = people.keypoints(a)
    assert kp.filled.tolist() == hidden.tolist()                 # unseen frames filled and flagged
    assert (kp.conf[hidden] == 0).all()


def test_old_single_person_path_switched_to_the_other_man(crossing):
    # What this stage fixes: one pose per frame follows whoever MediaPipe finds.
    path, patch, _ = crossing
    old = detect_people(path, max_people=1)
    switched = sum(mp.switches(_ids(old, k, patch)) for k in range(old.count))
    followed = np.concatenate([_ids(old, k, patch)[old.seen[k]] for k in range(old.count)])
    assert set(followed) == {0, 1}                        # it ends on the other man
    kp = detect_video(path, max_people=1)
    old_ids = mp.identity(kp.xy[:, ROOT], patch)
    # MediaPipe's own tracking slides from one man to the other: with one pose per frame no
    # tracker can tell (the detection moves on smoothly), hence several poses per frame.
    assert mp.switches(old_ids) >= 1 and switched >= 1


def test_lifted_chosen_person_has_no_impossible_root_jump(crossing, model):
    path, patch, people = crossing
    motion = run_pipeline(path, PipelineOptions(person=A_POINT), model=model, cache=True)
    speed = root_speeds(motion.joints, motion.fps)
    assert speed.max() <= HUMAN_ROOT_SPEED, speed.max()
    assert motion.info["person"] >= 1 and motion.info["people"] == people.count
    # Flagged: the frames where the man is hidden, and the frames of any jump found (reported).
    unseen = people.keypoints(motion.info["person"] - 1).filled
    assert unseen[15:30].all() and not unseen[:8].any()
    assert motion.filled.tolist() == (unseen | motion.info["root_jumps"].frames).tolist()
    # The single-person path: its switch is a root jump, reported and never keyed as motion.
    single = run_pipeline(path, PipelineOptions(max_people=1), model=model)
    jumps = single.info["root_jumps"]
    assert jumps.count >= 1 and jumps.max_speed > HUMAN_ROOT_SPEED
    assert root_speeds(single.joints, single.fps).max() <= HUMAN_ROOT_SPEED
    assert "faster than 10 m/s" in jumps.describe()


@pytest.fixture(scope="module")
def two_apart(tmp_path_factory):
    clip = mp.view(0, 24, 0.5)
    return mp.side_by_side(tmp_path_factory.mktemp("side") / "two.mp4", [clip, mp.mirrored(clip)])


def test_all_gives_everyone_on_one_ground_where_they_stand(two_apart, model):
    people = read_people(two_apart, cache=True)
    assert people.count == 2 and people.seen.all()
    motions = run_pipeline_people(two_apart, PipelineOptions(person="all"), model=model, cache=True)
    assert [m.info["person"] for m in motions] == [1, 2]
    left, right = (m.joints[:, ROOT] for m in motions)     # person 1 is the one on the left
    assert (left[:, 0] < right[:, 0] - 0.5).all()          # apart in X as in the image (m)
    assert abs(np.median(left[:, 1] - right[:, 1])) < 1.0  # the same distance from the camera
    for m in motions:                                      # one ground: soles on z = 0
        soles = m.joints[:, list(FEET), 2].min(axis=1) - ANKLE_TO_SOLE * 1.7
        assert abs(np.median(soles)) < 0.03 and soles.min() > -0.06
        assert root_speeds(m.joints, m.fps).max() <= HUMAN_ROOT_SPEED


def test_a_choice_that_names_nobody_is_refused_with_the_list(two_apart, model, tmp_path):
    with pytest.raises(AmbiblendError, match=r"^two.mp4: there is no person 3; 2 people were found: "
                                             r"person 1: seen in 24 of 24 frames \(1–24\), about \d+ px tall"):
        run_pipeline(two_apart, PipelineOptions(person="index 3"), model=model, cache=True)
    with pytest.raises(AmbiblendError, match=r"two.mp4: nobody is at \(270, 5\); 2 people were found"):
        run_pipeline(two_apart, PipelineOptions(person="270,5"), model=model, cache=True)
    rng = np.random.default_rng(1)
    noise = mp.write_video(tmp_path / "noise.mp4", [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
                                                    for _ in range(6)])
    with pytest.raises(AmbiblendError, match=r"^No person was detected in noise.mp4\.$"):
        run_pipeline(noise, PipelineOptions(), model=model)
    with pytest.raises(AmbiblendError, match=r"^No person was detected in noise.mp4\.$"):
        run_pipeline_people(noise, PipelineOptions(person="all"), model=model)


def test_one_person_clip_is_detected_exactly_as_the_single_person_path():
    multi = detect_video(mp.SAMPLE, max_frames=30)
    single = detect_video(mp.SAMPLE, max_frames=30, max_people=1)
    np.testing.assert_array_equal(multi.xy, single.xy)
    np.testing.assert_array_equal(multi.world, single.world)
    assert not multi.filled.any()
