from codecrucible.extraction import code_blocks, extract_code, fence


def test_last_python_block_wins() -> None:
    text = "First try:\n```python\nprint(1)\n```\nBetter:\n```python\nprint(2)\n```\n"
    assert extract_code(text) == "print(2)\n"


def test_trailing_output_block_is_passed_over() -> None:
    text = "```py\nprint(3)\n```\nIt prints:\n```text\n3\n```"
    assert extract_code(text) == "print(3)\n"


def test_unlabelled_and_tilde_fences() -> None:
    assert extract_code("~~~\nx = 1\n~~~") == "x = 1\n"
    assert extract_code("```\nx = 2\n```") == "x = 2\n"


def test_other_language_is_taken_when_nothing_else() -> None:
    assert extract_code("```cpp\nint main(){}\n```") == "int main(){}\n"


def test_unterminated_final_block_counts() -> None:
    assert extract_code("Here:\n```python\ndef f():\n    return 1\n") == "def f():\n    return 1\n"


def test_no_block_is_none() -> None:
    assert extract_code("def f(): return 1") is None
    assert extract_code("```python\n```") is None


def test_longer_fences_hold_backticks() -> None:
    code = 's = "```"\nprint(s)\n'
    assert extract_code(fence(code)) == code
    assert len(code_blocks(fence(code))) == 1


def test_reasoning_is_ignored() -> None:
    text = "<think>```python\nwrong()\n```</think>\n```python\nright()\n```"
    assert extract_code(text) == "right()\n"


def test_block_defining_the_entry_point_beats_a_later_usage_example() -> None:
    text = (
        "```python\ndef truncate(x):\n    return x % 1\n```\n"
        "Example usage:\n```python\nprint(truncate(3.5))\n```\n"
    )
    assert extract_code(text, entry_point="truncate") == "def truncate(x):\n    return x % 1\n"
    # without an entry point the last block still wins (LiveCodeBench's convention)
    assert extract_code(text) == "print(truncate(3.5))\n"


def test_entry_point_as_method_class_or_assignment() -> None:
    solution = "class Solution:\n    def twoSum(self, a):\n        return a\n"
    text = f"```python\n{solution}```\nUsage:\n```python\nprint(Solution().twoSum([1]))\n```"
    assert extract_code(text, entry_point="twoSum") == solution
    assert extract_code(text, entry_point="Solution") == solution
    lambda_text = "```python\nadd = lambda a, b: a + b\n```\n```python\nadd(1, 2)\n```"
    assert extract_code(lambda_text, entry_point="add") == "add = lambda a, b: a + b\n"


def test_entry_point_not_defined_anywhere_falls_back_to_last_block() -> None:
    text = "```python\nprint(1)\n```\n```python\nprint(2)\n```"
    assert extract_code(text, entry_point="missing") == "print(2)\n"
    # a name that merely appears (a call, a prefix of another name) is not a definition
    assert (
        extract_code(
            "```python\ndef add_one(x): ...\n```\n```python\nadd(1)\n```", entry_point="add"
        )
        == "add(1)\n"
    )
