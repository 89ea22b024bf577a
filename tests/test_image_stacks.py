"""Every estimator accepts a stack (n_images, height, width) alongside flattened rows.

The stack's shape is the image shape (here 4x6, which flattened rows of 24 pixels
cannot reveal: they need image_shape=(4, 6)); the output is the same as for the rows.
"""

import numpy as np
import pytest
from scipy.sparse import issparse

from skimgdist import (
    Downscale,
    GaussianBlur,
    ImageDistances,
    ImageIndex,
    ImageNeighborsTransformer,
    Normalize,
    SlicedWasserstein,
    SlicedWassersteinEmbedding,
)

SHAPE = (4, 6)


def _stack():
    return np.random.default_rng(0).random((7, *SHAPE)) + 0.01


def _dense(output):
    return output.toarray() if issparse(output) else output


# (estimator fitted on the stack, the same estimator told the shape for flattened rows)
ESTIMATORS = {
    "Downscale": (Downscale(factor=2), Downscale(factor=2, image_shape=SHAPE)),
    "GaussianBlur": (GaussianBlur(sigma=0.7), GaussianBlur(sigma=0.7, image_shape=SHAPE)),
    "Normalize": (Normalize(norm="max"), Normalize(norm="max", image_shape=SHAPE)),
    "ImageDistances": (ImageDistances(metric="sliced_wasserstein"),
                       ImageDistances(metric=SlicedWasserstein(image_shape=SHAPE))),
    "ImageNeighborsTransformer": (
        ImageNeighborsTransformer(n_neighbors=3),
        ImageNeighborsTransformer(n_neighbors=3, metric_params={"image_shape": SHAPE})),
    "SlicedWassersteinEmbedding": (
        SlicedWassersteinEmbedding(n_projections=9, random_state=0),
        SlicedWassersteinEmbedding(n_projections=9, random_state=0, image_shape=SHAPE)),
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_transformer_gives_the_same_output_for_a_stack(name):
    on_stack, on_rows = ESTIMATORS[name]
    stack = _stack()
    rows = stack.reshape(len(stack), -1)
    expected = _dense(on_rows.fit(rows).transform(rows[:3]))
    fitted = on_stack.fit(stack)
    assert fitted.n_features_in_ == SHAPE[0] * SHAPE[1]
    assert fitted.image_shape_ == SHAPE
    np.testing.assert_array_equal(_dense(fitted.transform(stack[:3])), expected)
    # Flattened rows still go in once the shape is known from the stack.
    np.testing.assert_array_equal(_dense(fitted.transform(rows[:3])), expected)
    np.testing.assert_array_equal(_dense(on_stack.fit_transform(stack)),
                                  _dense(on_rows.fit_transform(rows)))


def test_image_index_queries_a_stack_like_rows():
    """Through the pruned search: the default metric offers a bounding embedding."""
    stack = _stack()
    rows = stack.reshape(len(stack), -1)
    by_rows = ImageIndex(metric_params={"image_shape": SHAPE}).fit(rows).query(rows[:3], k=3)
    by_stack = ImageIndex().fit(stack).query(stack[:3], k=3)
    np.testing.assert_array_equal(by_stack[1], by_rows[1])
    np.testing.assert_array_equal(by_stack[0], by_rows[0])
    assert ImageIndex().fit(stack).embedding_ is not None


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_stack_of_another_shape_is_refused(name):
    estimator = ESTIMATORS[name][0].fit(_stack())
    with pytest.raises(ValueError, match=r"shape \(6, 4\) but the expected image shape is "
                                         r"\(4, 6\)"):
        estimator.transform(_stack().reshape(7, 6, 4))


def test_stack_contradicting_the_given_image_shape_is_refused():
    with pytest.raises(ValueError, match="expected image shape is"):
        Downscale(factor=2, image_shape=(6, 4)).fit(_stack())
    with pytest.raises(ValueError, match="expected image shape is"):
        ImageDistances(metric=SlicedWasserstein(image_shape=(6, 4))).fit(_stack())
