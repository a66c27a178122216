"""PyTorch's max_pool2d with ceil_mode on a 5x5 map: the reference for Stride's `maxpool 2x2 stride 2 pad 1 ceil`.

Usage: ceil_pool.py INPUT.npy OUTPUT.npy
"""
import sys

import numpy as np
import torch

x = torch.from_numpy(np.load(sys.argv[1]))
y = torch.nn.functional.max_pool2d(x, kernel_size=2, stride=2, padding=1, ceil_mode=True)
np.save(sys.argv[2], y.numpy())
