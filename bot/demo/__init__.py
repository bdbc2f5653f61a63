"""The demo community: a deterministic generator with planted ground truth, and the tour.

`community.generate` builds members, eight weeks of chat and what it planted; `loader` writes
it into a store and runs the tour; `run` is what `convene demo` and `convene chat` call.
"""
