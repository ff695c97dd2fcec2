"""Speed benchmarks (not tests): ``python -m bench`` prints the tables the README quotes."""
