#!/usr/bin/env python3
"""Show the time per wait of wait_n(5, 9), well below the 9 s maximum."""
measure_time = __import__('2_measure_runtime').measure_time

n = 5
max_delay = 9

print(measure_time(n, max_delay))
