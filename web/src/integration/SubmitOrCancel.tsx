/** A form's closing pair: the primary action, which says it is working and cannot be pressed twice, and a way out. */
export function SubmitOrCancel({ label, pendingLabel, pending, onCancel }: { label: string; pendingLabel: string; pending: boolean; onCancel: () => void }) {
  return (
    <div className="form-actions">
      <button type="submit" className="btn btn--primary" disabled={pending}>
        {pending ? pendingLabel : label}
      </button>
      <button type="button" className="btn btn--quiet" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
