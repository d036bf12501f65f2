"""Array kernels: shortest-path trees rooted at many sinks or sources, tree flow accumulation."""

from reten.kernels.sptree import SPTree, accumulate_tree, sink_tree, source_tree

__all__ = ["SPTree", "accumulate_tree", "sink_tree", "source_tree"]
