"""Profiling, as ``torch.profiler``: an op table and a JAX trace (TensorBoard, Perfetto)."""

from ..autograd.profiler import record_function as record_function
from ._profiler import ProfilerAction as ProfilerAction
from ._profiler import ProfilerActivity as ProfilerActivity
from ._profiler import profile as profile
from ._profiler import schedule as schedule
from ._profiler import supported_activities as supported_activities
from ._profiler import tensorboard_trace_handler as tensorboard_trace_handler
