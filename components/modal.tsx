'use client';
import { useEffect, useRef } from 'react';

/**
 * A modal `<dialog>` (the browser's own: focus moves in and is kept there, Esc closes, the page
 * behind is inert). Focus returns to where it was when it closes. `onClose` runs on Esc or a
 * click on the backdrop; the owner then sets `open` false. The element marked `data-autofocus`
 * gets the focus when it opens.
 */
export function Modal({ open, onClose, label, testId, className, children }: { open: boolean; onClose: () => void; label: string; testId: string; className?: string; children: React.ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!open || !dialog) return;
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    // React's autoFocus ran before the dialog was shown; the element marked `data-autofocus` takes it now.
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      if (returnTo?.isConnected) returnTo.focus();
    };
  }, [open]);

  if (!open) return null;
  return (
    <dialog
      ref={ref}
      className={`modal ${className ?? ''}`}
      data-testid={testId}
      aria-label={label}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onMouseDown={(e) => e.target === ref.current && onClose()}
    >
      {children}
    </dialog>
  );
}
