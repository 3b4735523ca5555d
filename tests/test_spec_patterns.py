"""Every `pattern` of the spec runs in linear time: no input can make a regex backtrack for long.

jsonschema runs `re.search(pattern, value)` on values of up to the body limit, in the event loop of
a worker. A pattern such as `^[^\\x00]*[^ ][^\\x00]*$` needed 9 s for 24 KB. The inputs here are the
classic worst cases: long runs of characters that a repeated class accepts (alone or alternating),
followed by one that makes the match fail, behind the prefixes the patterns expect.
"""

import itertools
import re
import time

import pytest

from tests.test_spec import SPEC

LENGTH = 100_000
SECONDS = 0.05
FILLERS = ["a", "Z", "0", "-", " ", "\t", "\u00a0", "\u200b", "é", "!", "/", "+", "=", ".", ":", "_", "\x01", "~"]
RUNS = [a + b for a, b in itertools.permutations(["a", "-", " ", "/", "0", "\u00a0"], 2)]
ENDINGS = ["", "\x00", "\u202e", "!", " ", "\n", "_", "=", "-", "\u200b", "\x7f", "é"]
PREFIXES = ["", "data:image/png;base64,", "a"]


def patterns(node=SPEC):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from patterns(item)


PATTERNS = sorted(set(patterns()))


def adversarial_inputs(length: int):
    for prefix, run, ending in itertools.product(PREFIXES, FILLERS + RUNS, ENDINGS):
        yield prefix + run * (length // len(run)) + ending


def slowest(regex: re.Pattern, length: int = LENGTH) -> tuple[float, str]:
    """The longest time one search took, and the input; stops at the first input that is too slow."""
    worst = (0.0, "")
    for value in adversarial_inputs(length):
        started = time.perf_counter()
        regex.search(value)
        seconds = time.perf_counter() - started
        if SECONDS < seconds < 1:  # a busy machine: measure once more before calling it slow
            started = time.perf_counter()
            regex.search(value)
            seconds = min(seconds, time.perf_counter() - started)
        worst = max(worst, (seconds, value[:20] + "…" + value[-3:]))
        if seconds > SECONDS:
            break
    return worst


def test_the_spec_has_patterns_to_check():
    assert len(PATTERNS) >= 5


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_is_linear(pattern):
    seconds, value = slowest(re.compile(pattern))

    assert seconds < SECONDS, f"{pattern!r} took {seconds * 1000:.0f} ms on {value!r}"


def test_the_check_catches_a_quadratic_pattern():
    """Control: the pattern the name fields used to have is caught, even on inputs of 5 000 characters."""
    seconds, _ = slowest(re.compile(r"^[^\x00]*[^\x00\t\n\v\f\r ][^\x00]*$"), length=5_000)

    assert seconds > SECONDS
