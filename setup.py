"""Build step only (metadata lives in setup.cfg): put the start-up ``.pth`` in the wheel.

setuptools has no declarative way to install a file at the root of
site-packages, and that is the only place where Python runs ``.pth`` lines.
"""
import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "g4f_qwen_spaces_hook.pth"


class build_py_with_pth(build_py):
    def run(self):
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, PTH), preserve_mode=0)

    def get_outputs(self, include_bytecode=1):
        return super().get_outputs(include_bytecode) + [os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": build_py_with_pth})
