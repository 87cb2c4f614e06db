"""The full diagnosis: every collector at once, each an attempt that may fail alone, then the
rules that need several facts together (served vs configured certificate, predicted vs live)."""
