//! [`JobRunner`] for [`MockOverlay`]: jobs always go to the server.

use super::mock_overlay::MockOverlay;

crate::__forward_impl!(impl[] JobRunner for MockOverlay; |this| this.base);
