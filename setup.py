"""Ships ``resources/`` (icons, demo mailbox) inside the package as ``guard_inbox/_resources``.

Everything else lives in pyproject.toml. A checkout finds ``resources/`` beside ``app/``; an
installed wheel has no checkout around it, so the build copies the folder into the package
(``guard_inbox.ui.icons.resources_dir`` looks in both places).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = Path(__file__).resolve().parent / "resources"


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads resources/ from the checkout
        target = Path(self.build_lib) / "guard_inbox" / "_resources"
        shutil.copytree(RESOURCES, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))


setup(cmdclass={"build_py": BuildWithResources})
