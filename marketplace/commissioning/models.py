"""What commissioning writes itself: alerts and the report roll-ups. It reads everything else."""

from __future__ import annotations
