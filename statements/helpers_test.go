package statements_test

import (
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbToUTF8(b []byte) ([]byte, error) { return simplifiedchinese.GB18030.NewDecoder().Bytes(b) }

func decimalOne() decimal.Decimal { return decimal.NewFromInt(1) }
