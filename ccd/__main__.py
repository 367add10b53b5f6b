import sys

from ccd.cli import main

sys.exit(main())
