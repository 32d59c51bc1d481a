"""What tests and benchmarks build their worlds from; production code never imports it."""
