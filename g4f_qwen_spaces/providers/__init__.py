"""Our g4f providers: thin declarations over one shared base."""
from .base import GradioSpaceProvider
from .qvq import Qwen_QVQ_72B
from .qwen2 import Qwen_Qwen_2_72B

__all__ = ["GradioSpaceProvider", "Qwen_QVQ_72B", "Qwen_Qwen_2_72B"]
