"""Argument types for the command lines here: argparse turns a bad value
into a one-line usage error naming the option."""
import argparse
import shutil
from typing import Optional


def positive(text: str) -> float:
    """Parse a number of seconds above zero, for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('{!r} is not a number'.format(text))
    if not value > 0:
        raise argparse.ArgumentTypeError('{} is not above 0'.format(text))
    return value


def count(text: str) -> int:
    """Parse a whole number of at least 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('{!r} is not a whole number'
                                         .format(text))
    if value < 1:
        raise argparse.ArgumentTypeError('{} is below 1'.format(text))
    return value


def fraction(text: str) -> float:
    """Parse a fraction from 0 to 1, for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('{!r} is not a number'.format(text))
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError('{} is not from 0 to 1'.format(text))
    return value


def interpreter(text: str) -> Optional[str]:
    """Return a --python37 value: a program on PATH (or a path to one),
    None for 'none', or '' (find one) for the default, ''."""
    if text == 'none':
        return None
    if not text:
        return text
    found = shutil.which(text)
    if found is None:
        raise argparse.ArgumentTypeError('no program {!r}'.format(text))
    return found
