//! The per-VM buffer budget: shared limit, give-back on drop, fallible reservations.

use super::*;

#[test]
fn streams_share_the_limit_and_give_back_on_drop() {
    let budget = Rc::new(Budget::new(100));
    let mut a = Held::new(budget.clone());
    let mut b = Held::new(budget.clone());
    assert!(a.grow(60));
    assert!(!b.grow(41), "over the limit: nothing taken");
    assert_eq!(budget.used(), 60);
    assert!(b.grow(40));
    assert_eq!(budget.used(), 100);
    a.shrink(10);
    assert_eq!((a.bytes(), budget.used()), (50, 90));
    drop(a);
    assert_eq!(budget.used(), 40);
    b.release();
    assert_eq!(budget.used(), 0);
    assert_eq!(budget.peak(), 100);
}

#[test]
fn a_lower_limit_refuses_new_bytes_but_keeps_what_is_held() {
    let budget = Rc::new(Budget::new(100));
    let mut a = Held::new(budget.clone());
    assert!(a.grow(80));
    budget.set_limit(50);
    assert!(!a.grow(1));
    drop(a);
    assert_eq!(budget.used(), 0);
    assert!(Held::new(budget).grow(50));
}

#[test]
fn overflowing_sizes_are_refused() {
    let budget = Rc::new(Budget::new(usize::MAX));
    let mut a = Held::new(budget.clone());
    assert!(a.grow(usize::MAX - 1));
    assert!(!a.grow(2));
    assert!(try_vec(usize::MAX).is_none());
    assert_eq!(try_vec(16).map(|v| v.capacity() >= 16), Some(true));
}
