package statements_test

import "golang.org/x/text/encoding/simplifiedchinese"

func gbToUTF8(b []byte) ([]byte, error) { return simplifiedchinese.GB18030.NewDecoder().Bytes(b) }
