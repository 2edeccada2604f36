"""Conversations between budget holders (or their representatives) and providers, and the
safeguarding around them: reports to the holder's council or ICB, and blocks."""
