"""Private Bayesian-optimization machinery of the model-based strategies (TPE, GP, the predictor's gene GP).

The history a model reads, start-up designs, output warping, Parzen estimators, and the Gaussian
process: model, MAP fit, posterior and acquisition maximization.
"""
