"""tfmxne: sparse time-frequency M/EEG inverse solutions (TF-MxNE).

Our own implementation of the Time-Frequency Mixed-Norm Estimate (Gramfort et al.,
NeuroImage 70, 2013) with multi-scale dictionaries (Bekhti et al., PRNI 2016).
"""
__version__ = "0.1.0"
