"""The async_grader_first hook: a module and the .pth file that runs it.

The .pth file goes into site-packages (the path is worked out for the
Python that builds and installs this), where Python runs its import line
at every start; see async_grader_first.py.
"""
import os
import sys
import sysconfig

from setuptools import setup

setup(name='async-grader-first', version='1.0',
      description='Starts a grading pytest from the grader before pytest '
                  'reads any settings',
      py_modules=['async_grader_first'],
      data_files=[(os.path.relpath(sysconfig.get_paths()['purelib'],
                                   sys.prefix),
                   ['async_grader_first.pth'])])
