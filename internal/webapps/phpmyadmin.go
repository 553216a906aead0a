package webapps

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/internal/testenv"
)

// PhpMyAdminRoot is where Debian's phpmyadmin package installs the
// application.
const PhpMyAdminRoot = "/usr/share/phpmyadmin"

// Row is one seeded transaction, as the table holds it.
type Row struct {
	Date        string // YYYY-MM-DD
	Description string
	Amount      string // a decimal with two places, negative for a debit
	Currency    string
}

// PhpMyAdmin is a running phpMyAdmin over a private MariaDB.
type PhpMyAdmin struct {
	// URL is the base URL, http://127.0.0.1:PORT, without a trailing slash.
	URL string
	// User and Password log into phpMyAdmin's cookie login form (a
	// MariaDB account with rights on Database only).
	User, Password string
	// Database and Table hold Rows.
	Database, Table string
	Rows            []Row
	DB              *MariaDB
}

// Ledger is the deterministic data seeded into phpMyAdmin's table: 24
// transactions of October 2026, in CNY.
func Ledger() []Row {
	payees := []string{"Salary October", "Rent Shanghai office", "China Mobile bill", "JD.com order", "Didi ride", "Electricity State Grid",
		"Meituan lunch", "Consulting fee Huawei"}
	var rows []Row
	for i := range 24 {
		cents := int64(1234+i*3571) % 500000
		sign := "-"
		if i%8 == 0 || i%8 == 7 {
			sign = ""
		}
		rows = append(rows, Row{
			Date:        fmt.Sprintf("2026-10-%02d", 1+i),
			Description: fmt.Sprintf("%s #%d", payees[i%len(payees)], 100+i),
			Amount:      fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100),
			Currency:    "CNY",
		})
	}
	return rows
}

// StartPhpMyAdmin starts MariaDB and phpMyAdmin (Debian's package, served
// by `php -S` from a temporary document root whose configuration points at
// the private server), seeds Ledger, and stops both when tb ends. It skips
// tb (fails it under CI) when php, phpMyAdmin or MariaDB is missing.
func StartPhpMyAdmin(tb testing.TB) *PhpMyAdmin {
	tb.Helper()
	php := testenv.Tool(tb, "php", "php-cli")
	testenv.File(tb, filepath.Join(PhpMyAdminRoot, "index.php"), "phpmyadmin")
	testenv.File(tb, "/usr/share/php/PhpMyAdmin", "php-phpmyadmin-sql-parser")
	db := StartMariaDB(tb)
	a := &PhpMyAdmin{User: "ferry", Password: "Ferry#Pma2026", Database: "ledger", Table: "transactions", Rows: Ledger(), DB: db}
	if err := db.Exec(a.seedSQL()); err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	root, err := phpMyAdminDocRoot(dir, db.Socket)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	for _, d := range []string{"sessions", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(php, "-S", "127.0.0.1:"+port(n), "-t", root,
		"-d", "session.save_path="+filepath.Join(dir, "sessions"),
		"-d", "upload_tmp_dir="+filepath.Join(dir, "tmp"),
		"-d", "display_errors=0", "-d", "log_errors=1", "-d", "error_log="+filepath.Join(dir, "php-errors.log"),
		"-d", "memory_limit=256M")
	// Several workers: the browser fetches scripts and styles in parallel.
	cmd.Env = append(os.Environ(), "PHP_CLI_SERVER_WORKERS=4")
	p, err := start("php -S (phpMyAdmin)", cmd, filepath.Join(dir, "php-server.log"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.stop(10 * time.Second) })
	a.URL = "http://127.0.0.1:" + port(n)
	if err := p.waitHTTP(a.URL + "/index.php"); err != nil {
		tb.Fatal(err)
	}
	return a
}

// seedSQL creates the database, the table with Rows and the login.
func (a *PhpMyAdmin) seedSQL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE DATABASE `%s` CHARACTER SET utf8mb4;\n", a.Database)
	fmt.Fprintf(&b, "CREATE TABLE `%s`.`%s` (`id` INT PRIMARY KEY, `Date` DATE NOT NULL, `Description` VARCHAR(200) NOT NULL, `Amount` DECIMAL(12,2) NOT NULL, `Currency` CHAR(3) NOT NULL);\n", a.Database, a.Table)
	for i, r := range a.Rows {
		fmt.Fprintf(&b, "INSERT INTO `%s`.`%s` VALUES (%d, '%s', '%s', %s, '%s');\n", a.Database, a.Table, i+1, r.Date, r.Description, r.Amount, r.Currency)
	}
	fmt.Fprintf(&b, "CREATE USER '%s'@'localhost' IDENTIFIED BY '%s';\n", a.User, a.Password)
	fmt.Fprintf(&b, "GRANT ALL ON `%s`.* TO '%s'@'localhost';\n", a.Database, a.User)
	return b.String()
}

// phpMyAdminDocRoot builds a document root in dir that serves Debian's
// phpMyAdmin with a configuration of its own. phpMyAdmin takes its paths
// from ROOT_PATH (the directory of the index.php that runs) and its config
// file's path from libraries/vendor_config.php, which Debian points at
// /etc/phpmyadmin. So index.php and url.php are copied (PHP resolves
// __DIR__ through symbolic links), everything else is linked, and
// libraries/vendor_config.php is ours: config and temporary files stay in
// dir, and nothing under /etc is read or changed.
func phpMyAdminDocRoot(dir, socket string) (string, error) {
	root := filepath.Join(dir, "root")
	libs := filepath.Join(root, "libraries")
	if err := os.MkdirAll(libs, 0o755); err != nil {
		return "", fmt.Errorf("webapps: phpMyAdmin root: %w", err)
	}
	link := func(from, to string) error {
		entries, err := os.ReadDir(from)
		if err != nil {
			return fmt.Errorf("webapps: phpMyAdmin root: %w", err)
		}
		for _, e := range entries {
			switch e.Name() {
			case "index.php", "url.php", "libraries", "vendor_config.php", "config.inc.php":
				continue
			}
			if err := os.Symlink(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
				return fmt.Errorf("webapps: phpMyAdmin root: %w", err)
			}
		}
		return nil
	}
	if err := link(PhpMyAdminRoot, root); err != nil {
		return "", err
	}
	if err := link(filepath.Join(PhpMyAdminRoot, "libraries"), libs); err != nil {
		return "", err
	}
	for _, f := range []string{"index.php", "url.php"} {
		b, err := os.ReadFile(filepath.Join(PhpMyAdminRoot, f))
		if err != nil {
			return "", fmt.Errorf("webapps: phpMyAdmin root: %w", err)
		}
		if err := os.WriteFile(filepath.Join(root, f), b, 0o644); err != nil {
			return "", fmt.Errorf("webapps: phpMyAdmin root: %w", err)
		}
	}
	vendor, err := os.ReadFile(filepath.Join(PhpMyAdminRoot, "libraries", "vendor_config.php"))
	if err != nil {
		return "", fmt.Errorf("webapps: phpMyAdmin root: %w", err)
	}
	cfgPath := filepath.Join(dir, "config.inc.php")
	tmp := filepath.Join(dir, "pma-tmp") + "/"
	v := string(vendor)
	for _, rep := range [][2]string{
		{"'/etc/phpmyadmin/config.inc.php'", phpString(cfgPath)},
		{"'/var/lib/phpmyadmin/tmp/'", phpString(tmp)},
	} {
		if !strings.Contains(v, rep[0]) {
			return "", fmt.Errorf("webapps: %s/libraries/vendor_config.php has no %s: a phpmyadmin version this package does not know", PhpMyAdminRoot, rep[0])
		}
		v = strings.Replace(v, rep[0], rep[1], 1)
	}
	if err := os.WriteFile(filepath.Join(libs, "vendor_config.php"), []byte(v), 0o644); err != nil {
		return "", fmt.Errorf("webapps: phpMyAdmin root: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", fmt.Errorf("webapps: phpMyAdmin root: %w", err)
	}
	cfg := `<?php
// Written by Ferry's tests (internal/webapps): one server, cookie login.
$cfg['blowfish_secret'] = 'ferry-webapps-test-secret-32byte';
$cfg['Servers'][1]['auth_type'] = 'cookie';
$cfg['Servers'][1]['host'] = 'localhost';
$cfg['Servers'][1]['connect_type'] = 'socket';
$cfg['Servers'][1]['socket'] = ` + phpString(socket) + `;
$cfg['Servers'][1]['AllowNoPassword'] = false;
$cfg['TempDir'] = ` + phpString(tmp) + `;
$cfg['VersionCheck'] = false;
$cfg['SendErrorReports'] = 'never';
$cfg['ShowDatabasesNavigationAsTree'] = true;
`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return "", fmt.Errorf("webapps: phpMyAdmin config: %w", err)
	}
	return root, nil
}

// phpString quotes s as a PHP single-quoted string.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
