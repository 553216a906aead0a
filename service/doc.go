// Package service holds the operations the command line and the coming web
// console share: starting a run, deciding on heal proposals, rolling back
// and recording selector files, retrying parked deliveries, and finding out
// whether a data directory exists and who holds it. Commands parse flags,
// call one of these and print the result; none of the business logic lives
// in a command body, so the console gets the same behaviour by calling the
// same functions.
//
// Errors: each operation documents what it returns. Three types tell the
// caller what to do next: *BusyError (another Ferry process uses the data
// directory), *LockedError (another process holds the database's write
// lock) and *NoDatabaseError (nothing has been stored in the data directory
// yet). Every other error wraps its cause with %w and names the operation.
package service
