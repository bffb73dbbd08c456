"""Custom actions: rasa-sdk imports every module of this package and registers its actions. This module is imported
first, before any of them loads numpy: one compute thread per library in the action server (bot/compute_threads.py)."""
from bot import compute_threads

compute_threads.one_per_process()
