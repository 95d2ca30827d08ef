"""SWE-bench: patches from completions, repository mirrors, prompts and grading."""
