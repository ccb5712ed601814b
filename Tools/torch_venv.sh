#!/bin/sh
# Makes .build/torch-venv, a virtual environment with numpy, scipy and PyTorch's CPU build, for the Tools/
# scripts that compare with PyTorch (make_training_fixtures.py). fpgm itself never uses it.
set -e
cd "$(dirname "$0")/.."
python3 -m venv .build/torch-venv
.build/torch-venv/bin/pip install --quiet numpy scipy
.build/torch-venv/bin/pip install --quiet torch
.build/torch-venv/bin/python -c 'import torch; print("torch", torch.__version__, "in .build/torch-venv")'
