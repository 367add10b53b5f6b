"""ccd: the contact-center brain beside an Asterisk PBX."""

__version__ = "0.1.0"
