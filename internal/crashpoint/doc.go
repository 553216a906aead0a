// Package crashpoint lets the crash-safety tests kill Ferry at a named
// point: with FERRY_CRASH_AT=NAME:N in the environment, the N-th time the
// process reaches point NAME it sends itself SIGKILL, exactly as a power
// cut or the OOM killer would end it.
//
// The points exist only in binaries built with `-tags crashpoints` (the
// crash tests build Ferry so). A release build compiles every Hit to an
// empty function: no environment variable can make a production Ferry kill
// itself, and the binary does not even contain the variable's name.
package crashpoint
