"""The benchmark suite's harness: tasks, contenders, scoring and the results table."""
