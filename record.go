package ferry

// LineRecord is the JSON form of a statement line handed to sinks.
type LineRecord struct {
	Type         string `json:"type"`
	DedupKey     string `json:"dedup_key"`
	Account      string `json:"account"`
	BookingDate  string `json:"booking_date"`
	ValueDate    string `json:"value_date"`
	Amount       string `json:"amount"`
	Currency     string `json:"currency"`
	Counterparty string `json:"counterparty"`
	Description  string `json:"description"`
	Reference    string `json:"reference"`
	// TransactionID is the bank's own id of the transaction, where the
	// file carries one.
	TransactionID string `json:"transaction_id,omitempty"`
	BalanceAfter  string `json:"balance_after"`
	RunID         int64  `json:"run_id"`
}

// NewLineRecord renders a line for delivery, with its dedup key (from
// Statement.DedupKeys). Amounts keep two decimals.
func NewLineRecord(runID int64, key string, l StatementLine) LineRecord {
	return LineRecord{Type: "statement_line", DedupKey: key, Account: l.Account,
		BookingDate: l.BookingDate.String(), ValueDate: l.ValueDate.String(), Amount: l.Amount.StringFixed(2),
		Currency: l.Currency, Counterparty: l.Counterparty, Description: l.Description, Reference: l.Reference,
		TransactionID: l.TransactionID, BalanceAfter: l.BalanceAfter.StringFixed(2), RunID: runID}
}
