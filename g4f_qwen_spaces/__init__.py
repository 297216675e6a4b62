"""g4f-qwen-spaces: Qwen QVQ-72B and Qwen2-72B Hugging Face Space providers for g4f."""
from __future__ import annotations

__version__ = "0.1.0"

from .providers import Qwen_QVQ_72B, Qwen_Qwen_2_72B

__all__ = ["Qwen_QVQ_72B", "Qwen_Qwen_2_72B", "__version__"]
