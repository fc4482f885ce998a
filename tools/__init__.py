"""Tools for developing and measuring Attune: the loopback push service the tests and benchmarks use, Lighthouse."""
