"""Parsing BFCL call strings with ast, never eval."""

from __future__ import annotations

import pytest

from orchestrl.api import ToolCall
from orchestrl.plugins.worlds.bfcl.calls import CallSyntaxError, format_call, parse_call_string


def test_keyword_and_positional_arguments_are_named():
    call = parse_call_string("sort('a.txt')", lambda name: ["file_name"])
    assert call == ToolCall("sort", {"file_name": "a.txt"})
    call = parse_call_string("lockDoors(unlock=False, door=['driver', 'rear_left'])")
    assert call.arguments == {"unlock": False, "door": ["driver", "rear_left"]}


@pytest.mark.parametrize(
    "text",
    [
        "cd(folder=__import__('os').system('true'))",
        "os.system('true')",
        "cd(**{'folder': 'x'})",
        "cd(folder='a'); cd(folder='b')",
        "cd(folder=x)",
        "sort('a.txt')",
    ],
)
def test_anything_but_a_literal_call_of_a_bare_name_is_refused(text):
    with pytest.raises(CallSyntaxError):
        parse_call_string(text)


def test_format_call_round_trips_through_the_parser():
    call = ToolCall("post_tweet", {"content": "it's 5 o'clock", "tags": ["#a"], "n": 2.5})
    assert parse_call_string(format_call(call)) == call
