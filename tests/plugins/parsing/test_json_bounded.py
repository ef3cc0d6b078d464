"""Bounded JSON: loads_bounded accepts, rejects and explains exactly as the walk over every
decoded value (check_value after every decode) did, on ordinary and hostile texts."""

from __future__ import annotations

import json
import random
import time

import pytest

from orchestrl.plugins.parsing import fast_json, json_bounded
from orchestrl.plugins.parsing.exact_key import exact_bytes
from orchestrl.plugins.parsing.json_bounded import JsonLimits, check_value, loads_bounded

LIMITS = [
    JsonLimits(),
    JsonLimits(max_chars=8_000_000, max_depth=128, max_int_digits=400),  # tool outputs
    JsonLimits(max_depth=1, max_int_digits=1),
    JsonLimits(max_depth=0, max_int_digits=0),
    JsonLimits(max_int_digits=32),  # 32 digits may break the bit_length bound (10**32 - 1)
    JsonLimits(max_chars=40, max_depth=3),
]


def _nest(depth: int, inner: str = "1", kinds: str = "[{") -> str:
    text = inner
    for level in range(depth):
        text = f'{{"k{level}": {text}}}' if kinds[level % len(kinds)] == "{" else f"[{text}]"
    return text


CASES = [
    "", " ", "1", "-0", "0.0", "-0.0", "true", "null", '"x"', "[]", "{}", '{"a": 1, "b": [1, 2.5]}',
    '{"a": "NaN", "b": "Infinity", "c": "1e999", "d": "' + "9" * 500 + '"}',  # in strings: fine
    '["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "]]]]}}}}", "\\"[[[[\\"", "\\\\"]',
    '"' + "[" * 200 + '"', '"\\u005b\\u005b"', '{"a\\"[": "]\\\\", "b": "\\\\\\"{{{"}',
    "NaN", "Infinity", "-Infinity", "[1, NaN]", '{"a": Infinity}', "[-Infinity]",
    "1e999", "-1e999", "1E400", "1e308", "1.7976931348623157e308", "1.8e308", "1e-999",
    "1e+99", "1e099", "1.5e10", "[1e00000000000000000000001]", "0." + "0" * 300 + "1",
    "1" + "0" * 250 + ".0", "1" + "0" * 250 + "e80", "9" * 199 + "e99", "9" * 200 + "e99",
    "9" * 210 + ".5e99", "-" + "9" * 64, "9" * 64, "9" * 65, "9" * 400, "9" * 401, "9" * 5000,
    "9", "99", "1" + "0" * 31, "9" * 31, "9" * 32, "9" * 33, str(10**32 - 1), str(2**106),
    '{"a": ' + "1" * 70 + "}", "[" + ",".join(["123456789"] * 50) + "]",
    "[1,]", "{", '{"a" 1}', '"\\', "[1] x", "[01]", '"\\x"', "\x00", "[\n1\n]",
    '"' + '\\"' * 20 + '"', "[" * 3 + "]" * 2, "]" * 3 + "[" * 3, "{[}]",
    '"' + "a" * 50 + '"',  # longer than the smallest max_chars
    "\ufeff1", '"\ud800"', '"\\ud800"', '"\\udc00x"', "\u00a01", '"a\x01"', "[1,\t2]\r\n",
    '{"a": 1, "a": [2]}', "-0.0", "1e-400", "2e-324", "4.9e-324", '"\\u00e9\u00e9\U0001f600"',
    "9" * 212 + "e96", "-" + "9" * 309 + ".5", "[" + "7" * 213 + "]",
]
for digits in range(0, 70, 3):  # around the digit bounds of every LIMITS entry
    CASES += ["9" * digits, f'["{"1" * digits}", {"8" * digits}]', "1" + "0" * digits + ".5"]
for depth in (0, 1, 2, 3, 4, 31, 32, 33, 127, 128, 129, 1_500):
    CASES += [_nest(depth), _nest(depth, kinds="["), _nest(depth, kinds="{"), _nest(depth, "[]")]
    CASES.append("[" + ",".join([_nest(depth, "0")] * 3) + "]")


def _checked(text: str, limits: JsonLimits) -> object:
    """loads_bounded as it was: the length bound, hooks on numbers, check_value every time."""
    if len(text) > limits.max_chars:
        raise ValueError(f"json text of {len(text)} characters exceeds {limits.max_chars}")

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > limits.max_int_digits:
            raise ValueError(f"integer of {len(digits)} digits exceeds {limits.max_int_digits}")
        return int(digits)

    try:
        value = json.loads(text, parse_constant=json_bounded._reject_constant,
                           parse_int=parse_int, parse_float=json_bounded._float)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid json ({exc.msg} at position {exc.pos})") from None
    except RecursionError:
        raise ValueError("json nested too deeply") from None
    check_value(value, limits)
    return value


def _outcome(load, text: str, limits: JsonLimits) -> tuple[str, object]:
    try:
        value = load(text, limits)
    except ValueError as exc:
        return "error", str(exc)
    return "value", exact_bytes(value)


@pytest.mark.parametrize("fast", [True, False], ids=["msgspec", "json only"])
@pytest.mark.parametrize("limits", LIMITS, ids=range(len(LIMITS)))
def test_loads_bounded_is_the_checked_path_on_every_case(
    limits: JsonLimits, fast: bool, monkeypatch
) -> None:
    if not fast:
        monkeypatch.setattr(fast_json, "_DECODER", None)
    for text in CASES:
        assert _outcome(loads_bounded, text, limits) == _outcome(_checked, text, limits), text


@pytest.mark.parametrize(("text", "path"), [
    ('{"id": "382161796", "price": 12.5, "n": ' + "9" * 64 + ', "name": "Zürich 🚗"}', "msgspec"),
    ("9" * 65, "hooks"), ('{"a": "' + "1" * 65 + '"}', "hooks"),  # an integer may be too long
    ("9" * 201 + ".5", "hooks"), ("1e400", "json"), ("[1.5E+400]", "json"),
    ("[1.5E+300]", "msgspec"),
    ('"\ud800"', "hooks"), ("\ud800", "hooks"),  # not UTF-8
    ("NaN", "json"), ("[1,]", "json"), ('{"a": [1, 2.5, "x...(truncated)...y"]]', "json"),
    ('"\\ud800"', "json"), ("1e99", "msgspec"), ("9" * 60 + "e-999", "msgspec"),
])
def test_each_text_is_decoded_by_the_cheapest_reader_that_decides_it(
    text: str, path: str, monkeypatch
) -> None:
    called = []
    for name, label in (("_hooked_value", "hooks"), ("_json_value", "json")):
        real = getattr(json_bounded, name)
        monkeypatch.setattr(json_bounded, name,
                            lambda *a, real=real, label=label: called.append(label) or real(*a))
    limits = JsonLimits()  # integers of at most 64 digits
    assert _outcome(loads_bounded, text, limits) == _outcome(_checked, text, limits)
    assert called[:1] == ([] if path == "msgspec" else [path])


def test_safe_digits_is_the_longest_run_that_passes_both_bounds() -> None:
    for most in [*range(0, 90), 400, 4_000]:
        bits = most * 3.33
        digits = json_bounded._safe_digits(JsonLimits(max_int_digits=most))
        assert digits <= most and (10**digits - 1).bit_length() <= bits
        assert digits == most or (10 ** (digits + 1) - 1).bit_length() > bits


def test_loads_bounded_is_the_checked_path_on_random_json() -> None:
    rng = random.Random(7)
    atoms = ['"a"', '"[{"', '"\\"]"', "1", "-2.5", "1e5", "true", "null", "9" * 40, "1e300",
             '"NaN"', "[]", "{}"]

    def value(depth: int) -> str:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(atoms)
        items = [value(depth - 1) for _ in range(rng.randrange(4))]
        if rng.random() < 0.5:
            return "[" + ", ".join(items) + "]"
        return "{" + ", ".join(f'"k{i}": {item}' for i, item in enumerate(items)) + "}"

    for _ in range(400):
        text = value(rng.randrange(40))
        for limits in LIMITS:
            assert _outcome(loads_bounded, text, limits) == _outcome(_checked, text, limits), text


def test_ordinary_tool_output_is_not_walked_whole(monkeypatch) -> None:
    output = json.dumps({"status": True, "data": [
        {"id": str(i), "name": f"Hotel [{i}] \"{{x}}\"", "price": i * 1.5, "rooms": [1, 2]}
        for i in range(200)
    ]})
    walked = []
    monkeypatch.setattr(json_bounded, "check_value", lambda *args: walked.append(args))
    assert loads_bounded(output, LIMITS[1]) == json.loads(output)
    assert not walked
    loads_bounded(_nest(129), LIMITS[1])  # too deep: check_value says why
    loads_bounded("9" * 32, LIMITS[4])  # 10**32 - 1 > 32 * 3.33 bits: check_value says why
    assert len(walked) == 2


def test_depth_walk_runs_only_past_the_bracket_bound(monkeypatch) -> None:
    walks = []
    real = json_bounded._within_depth
    monkeypatch.setattr(json_bounded, "_within_depth", lambda *a: walks.append(a) or real(*a))
    limits = JsonLimits(max_depth=3)
    assert loads_bounded('{"a": [{"b": "[[[]]]"}]}', limits) == {"a": [{"b": "[[[]]]"}]}
    assert walks  # 6 brackets (3 of them in a string) > 3: walked, and within the bound
    walks.clear()
    assert loads_bounded('{"a": [{"b": 1}], "c": "x"}', limits) == {"a": [{"b": 1}], "c": "x"}
    assert not walks  # 3 brackets, so at most 3 containers: nothing 3 levels deep
    with pytest.raises(ValueError, match="nested deeper than 3"):
        loads_bounded("[[[[1]]]]", limits)


def test_within_depth_is_check_values_depth_bound() -> None:
    rng = random.Random(3)

    def value(depth: int) -> object:
        if depth == 0 or rng.random() < 0.25:
            return rng.choice([1, "a", None, [], {}])
        items = [value(depth - 1) for _ in range(rng.randrange(4))]
        return items if rng.random() < 0.5 else {f"k{i}": v for i, v in enumerate(items)}

    for _ in range(500):
        item = value(rng.randrange(12))
        for max_depth in range(0, 8):
            try:
                check_value(item, JsonLimits(max_depth=max_depth))
                ok = True
            except ValueError:
                ok = False
            assert json_bounded._within_depth(item, max_depth) is ok


@pytest.mark.parametrize("text", [
    '"' + '\\"' * 200_000,  # an unterminated string of escaped quotes: no quadratic scan
    '"' + "\\" * 400_001,
    "[" * 500_000 + "]" * 500_000,
    "[" + ",".join(["[" * 127 + "]" * 127] * 8_000) + "]",  # 128 levels, wide: accepted
    "[" + ",".join(["[" * 128 + "]" * 128] * 8_000) + "]",  # 129 levels: rejected
    "[" + "9" * 4_000 + "," + "1e999," * 10_000 + "1]",
])
def test_hostile_texts_are_answered_quickly_and_as_the_checked_path(text: str) -> None:
    limits = LIMITS[1]
    start = time.process_time()
    fast = _outcome(loads_bounded, text, limits)
    middle = time.process_time()
    assert fast == _outcome(_checked, text, limits)
    assert middle - start < 1.0 + 1.5 * (time.process_time() - middle)  # never much slower
